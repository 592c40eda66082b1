namespace Berth.Engine.Dockerfile.Syntax;

/// <summary>A Dockerfile that cannot be parsed or turned into instructions; the message reads <c>Dockerfile:LINE: reason</c>.</summary>
public sealed class DockerfileSyntaxException : BerthException
{
    public DockerfileSyntaxException(string fileName, int line, string reason)
        : base($"{fileName}:{line}: {OneLine(reason)}")
    {
        FileName = fileName;
        Line = line;
        Reason = OneLine(reason);
    }

    /// <summary>The file name given to the parser ("Dockerfile" unless told otherwise).</summary>
    public string FileName { get; }

    /// <summary>1-based line where the failing instruction starts.</summary>
    public int Line { get; }

    /// <summary>The message without the <c>file:line: </c> prefix.</summary>
    public string Reason { get; }

    // The CLI prints one line per error; a reason quoting user text must not break that.
    private static string OneLine(string s) =>
        s.AsSpan().IndexOfAny('\r', '\n') < 0 ? s : s.Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
