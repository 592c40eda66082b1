namespace Berth.Engine.Dockerfile.Syntax;

/// <summary>
/// A Dockerfile that cannot be parsed or turned into instructions; the message reads <c>Dockerfile:LINE: reason</c>,
/// followed by <c>: offending text</c> when the reason does not already show it.
/// </summary>
public sealed class DockerfileSyntaxException : BerthException
{
    private const int MaxQuotedLength = 120;

    public DockerfileSyntaxException(string fileName, int line, string reason, string? offendingText = null)
        : base(Format(fileName, line, reason, offendingText))
    {
        FileName = fileName;
        Line = line;
        Reason = OneLine(reason);
        OffendingText = offendingText is null ? null : Shorten(OneLine(offendingText.Trim()));
    }

    /// <summary>The file name given to the parser ("Dockerfile" unless told otherwise).</summary>
    public string FileName { get; }

    /// <summary>1-based line where the failing instruction starts.</summary>
    public int Line { get; }

    /// <summary>The message without the <c>file:line: </c> prefix, in Docker's wording.</summary>
    public string Reason { get; }

    /// <summary>The source text the message quotes (shortened, one line), or null when the reason shows it already.</summary>
    public string? OffendingText { get; }

    private static string Format(string fileName, int line, string reason, string? offendingText)
    {
        string message = $"{fileName}:{line}: {OneLine(reason)}";
        if (offendingText is null) return message;
        string text = Shorten(OneLine(offendingText.Trim()));
        return text.Length == 0 ? message : message + ": " + text;
    }

    private static string Shorten(string s) => s.Length <= MaxQuotedLength ? s : s[..(MaxQuotedLength - 3)] + "...";

    // The CLI prints one line per error; a reason quoting user text must not break that.
    private static string OneLine(string s) =>
        s.AsSpan().IndexOfAny('\r', '\n') < 0 ? s : s.Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}

/// <summary>
/// A malformed instruction whose message (Docker's wording) does not quote the source; whoever turns it into a
/// <see cref="DockerfileSyntaxException"/> adds the instruction text.
/// </summary>
internal sealed class InstructionFormatException(string reason) : FormatException(reason);
