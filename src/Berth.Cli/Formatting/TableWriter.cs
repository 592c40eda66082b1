using System.Text;

namespace Berth.Cli.Formatting;

/// <summary>
/// Aligned plain-text columns with Go <c>text/tabwriter</c> semantics, defaulting to docker/cli's
/// <c>NewWriter(out, 10, 1, 3, ' ', 0)</c>: a cell is text terminated by a tab, each column is as wide as its widest
/// cell plus padding (at least minwidth), and the last cell of a line is never padded.
/// </summary>
public sealed class TableWriter
{
    private readonly TextWriter _out;
    private readonly int _minWidth;
    private readonly int _padding;
    private readonly char _padChar;
    private readonly List<List<string>> _lines = [];
    private List<string> _current = [];
    private readonly StringBuilder _cell = new();

    public TableWriter(TextWriter output, int minWidth = 10, int padding = 3, char padChar = ' ')
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfNegative(minWidth);
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        _out = output;
        _minWidth = minWidth;
        _padding = padding;
        _padChar = padChar;
    }

    /// <summary>Buffers text; <c>\t</c> ends a cell, <c>\n</c> ends a line. Nothing is written until <see cref="Flush"/>.</summary>
    public void Write(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Write(text.AsSpan());
    }

    /// <summary><see cref="Write(string)"/> for text built in a <see cref="StringBuilder"/>, without copying it into one string first.</summary>
    public void Write(StringBuilder text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var chunk in text.GetChunks()) Write(chunk.Span);
    }

    private void Write(ReadOnlySpan<char> text)
    {
        foreach (char c in text)
        {
            switch (c)
            {
                case '\t':
                    _current.Add(_cell.ToString());
                    _cell.Clear();
                    break;
                case '\n':
                    _current.Add(_cell.ToString());
                    _cell.Clear();
                    _lines.Add(_current);
                    // Like Go, a line without any tab ends every open column block.
                    bool endsBlocks = _current.Count == 1;
                    _current = [];
                    if (endsBlocks) WriteBuffered(partialLast: false);
                    break;
                default:
                    _cell.Append(c);
                    break;
            }
        }
    }

    /// <summary>Writes one row: cells joined by tabs and a newline.</summary>
    public void WriteRow(params IEnumerable<string> cells) => Write(string.Join('\t', cells) + "\n");

    /// <summary>Formats and writes everything buffered; a trailing partial line is written without a newline.</summary>
    public void Flush()
    {
        bool partial = _cell.Length > 0 || _current.Count > 0;
        if (partial)
        {
            _current.Add(_cell.ToString());
            _cell.Clear();
            _lines.Add(_current);
            _current = [];
        }
        WriteBuffered(partial);
        _out.Flush();
    }

    /// <summary>Convenience: aligns <paramref name="text"/> with docker/cli's settings and returns the result.</summary>
    public static string Format(string text, int minWidth = 10, int padding = 3)
    {
        var sw = new StringWriter { NewLine = "\n" };
        var tw = new TableWriter(sw, minWidth, padding);
        tw.Write(text);
        tw.Flush();
        return sw.ToString();
    }

    private void WriteBuffered(bool partialLast)
    {
        if (_lines.Count == 0) return;
        var sb = new StringBuilder();
        FormatBlock(0, _lines.Count, [], sb, partialLast);
        _out.Write(sb);
        _lines.Clear();
    }

    private void FormatBlock(int line0, int line1, List<int> widths, StringBuilder sb, bool partialLast)
    {
        int column = widths.Count;
        for (int i = line0; i < line1; i++)
        {
            if (column >= _lines[i].Count - 1) continue;
            // Lines before i have no cell in this column: print them with the widths known so far.
            WriteLines(line0, i, widths, sb, partialLast);
            line0 = i;
            int width = _minWidth;
            for (; i < line1 && column < _lines[i].Count - 1; i++)
                width = Math.Max(width, CellWidth(_lines[i][column]) + _padding);
            widths.Add(width);
            FormatBlock(line0, i, widths, sb, partialLast);
            widths.RemoveAt(widths.Count - 1);
            line0 = i;
            i--;
        }
        WriteLines(line0, line1, widths, sb, partialLast);
    }

    private void WriteLines(int line0, int line1, List<int> widths, StringBuilder sb, bool partialLast)
    {
        for (int i = line0; i < line1; i++)
        {
            var line = _lines[i];
            for (int j = 0; j < line.Count; j++)
            {
                sb.Append(line[j]);
                if (j < widths.Count) sb.Append(_padChar, widths[j] - CellWidth(line[j]));
            }
            if (!partialLast || i + 1 < _lines.Count) sb.Append('\n');
        }
    }

    /// <summary>Go measures cells in runes (code points), not UTF-16 units: a surrogate pair is one rune, as is a lone surrogate.</summary>
    internal static int CellWidth(string cell)
    {
        int n = cell.Length;
        for (int i = 0; i + 1 < cell.Length; i++)
        {
            if (char.IsHighSurrogate(cell[i]) && char.IsLowSurrogate(cell[i + 1])) { n--; i++; }
        }
        return n;
    }
}
