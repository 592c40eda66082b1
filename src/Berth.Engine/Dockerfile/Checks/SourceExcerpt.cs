namespace Berth.Engine.Dockerfile.Checks;

/// <summary>
/// The source lines around a location, marked with <c>&gt;&gt;&gt;</c>, exactly as BuildKit prints them under a warning or an
/// error (<c>errdefs.Source.Print</c>): a <c>FILE:LINE</c> header, a rule, up to four lines of context, a rule.
/// </summary>
public static class SourceExcerpt
{
    private const string Rule = "--------------------";

    public static void Write(TextWriter writer, string fileName, string source, int startLine, int endLine)
    {
        var lines = source.Split('\n');
        int start = startLine, end = Math.Max(startLine, endLine);
        if (start > lines.Length || start < 1) return;
        if (end > lines.Length) end = lines.Length;

        // BuildKit's padding loop, kept as written so the context lines match.
        int pad = end == start ? 4 : 2;
        int p = 0;
        int markedStart = start;
        while (p < pad)
        {
            if (start > 1)
            {
                start--;
                p++;
            }
            if (end != lines.Length)
            {
                end++;
                p++;
            }
            p++;
        }

        writer.Write($"{fileName}:{markedStart}\n{Rule}\n");
        for (int i = start; i <= end; i++)
        {
            string prefix = i >= startLine && i <= Math.Max(startLine, endLine) ? ">>>" : "   ";
            writer.Write($" {i,3} | {prefix} {lines[i - 1]}\n");
        }
        writer.Write(Rule + "\n");
    }
}
