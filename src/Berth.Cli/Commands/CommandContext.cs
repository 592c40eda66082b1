using System.CommandLine;
using Berth.Engine.Services;
using Berth.Engine.Services.Images;

namespace Berth.Cli.Commands;

/// <summary>What a command action needs: the engine (opened on first use) and the output writers.</summary>
public sealed class CommandContext(ParseResult parse)
{
    BerthEngine? _engine;

    public ParseResult Parse => parse;
    public TextWriter Out => parse.InvocationConfiguration.Output;
    public TextWriter Error => parse.InvocationConfiguration.Error;

    public BerthEngine Engine => _engine ??= BerthEngine.Open(parse.GetValue(BerthCli.RootOption));
    public ImageService Images => Engine.Images;
}
