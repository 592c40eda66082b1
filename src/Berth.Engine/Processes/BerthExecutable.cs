namespace Berth.Engine.Processes;

/// <summary>
/// How to start the `berth` CLI again from inside the engine: conmon's exit command and the port proxy are
/// separate `berth` processes that outlive the one that started them.
/// </summary>
/// <remarks>
/// When the current process is the published `berth` binary it is reused; otherwise (tests, `dotnet berth.dll`)
/// the CLI assembly next to the engine is run through the dotnet host.
/// </remarks>
public sealed record BerthExecutable(string FileName, IReadOnlyList<string> LeadingArguments)
{
    static readonly Lazy<BerthExecutable> Located = new(Locate);

    /// <summary>The `berth` to run; `BERTH_EXECUTABLE` overrides the search.</summary>
    public static BerthExecutable Current => Located.Value;

    /// <summary>The full argument list: leading arguments (the CLI dll when run through dotnet) then <paramref name="arguments"/>.</summary>
    public IReadOnlyList<string> Arguments(params IEnumerable<string> arguments) => [.. LeadingArguments, .. arguments];

    static BerthExecutable Locate()
    {
        if (Environment.GetEnvironmentVariable("BERTH_EXECUTABLE") is { Length: > 0 } overridden)
            return new BerthExecutable(overridden, []);
        string? process = Environment.ProcessPath;
        if (process is not null && Path.GetFileName(process) == "berth")
            return new BerthExecutable(process, []);
        string directory = AppContext.BaseDirectory;
        string apphost = Path.Combine(directory, "berth");
        if (File.Exists(apphost)) return new BerthExecutable(apphost, []);
        string dll = Path.Combine(directory, "berth.dll");
        if (File.Exists(dll))
        {
            string dotnet = process is not null && Path.GetFileNameWithoutExtension(process) == "dotnet" ? process : "dotnet";
            return new BerthExecutable(dotnet, [dll]);
        }
        throw new BerthException($"cannot find the berth executable in {directory}; set BERTH_EXECUTABLE");
    }
}
