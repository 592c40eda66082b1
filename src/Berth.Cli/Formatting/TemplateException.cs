using Berth.Engine;

namespace Berth.Cli.Formatting;

/// <summary>A <c>--format</c> template failed to parse or execute; the message reads like Go's <c>text/template</c> error.</summary>
public sealed class TemplateException(string message) : InvalidInputException(message);
