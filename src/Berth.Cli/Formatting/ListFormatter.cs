using System.Text;

namespace Berth.Cli.Formatting;

/// <summary>
/// docker/cli's <c>formatter.Context</c>: renders rows with a <c>--format</c> value. <c>table …</c> prints a header (the same
/// template run over <paramref name="headers"/>, with json/upper/… as identity) and aligns columns with <see cref="TableWriter"/>;
/// <c>json</c> prints one JSON object per line; anything else is a template executed once per row.
/// </summary>
public sealed class ListFormatter
{
    private readonly GoTemplate _template;
    private readonly Dictionary<string, string> _headers; // a Go map: a field without a header prints <no value>, as in docker

    /// <param name="format">The <c>--format</c> value: <c>table</c>, <c>table {{.ID}}\t{{.Name}}</c>, <c>json</c> or a template.</param>
    /// <param name="headers">Column header per field name (<c>ID</c> → <c>IMAGE ID</c>).</param>
    /// <param name="defaultTableFormat">Used when <paramref name="format"/> is exactly <c>table</c> (each command has its own default).</param>
    public ListFormatter(string format, IReadOnlyDictionary<string, string>? headers = null, string? defaultTableFormat = null)
    {
        ArgumentNullException.ThrowIfNull(format);
        Format = format;
        IsTable = format.StartsWith("table", StringComparison.Ordinal);
        IsJson = format == "json";
        string text = TemplateText(format == "table" && defaultTableFormat is not null ? defaultTableFormat : format);
        try
        {
            _template = GoTemplate.Parse(text);
        }
        catch (TemplateException e)
        {
            throw new TemplateException("template parsing error: " + e.Message);
        }
        _headers = headers is null ? [] : new Dictionary<string, string>(headers);
        Fields = _template.ReferencedFields();
    }

    public string Format { get; }

    /// <summary>True for formats starting with <c>table</c>.</summary>
    public bool IsTable { get; }

    /// <summary>True when the format is exactly <c>json</c>.</summary>
    public bool IsJson { get; }

    /// <summary>The row fields the format shows (see <see cref="GoTemplate.ReferencedFields"/>); null when it may show any.</summary>
    public IReadOnlySet<string>? Fields { get; }

    /// <summary>The template text docker derives from a format: <c>table</c> prefix removed, spaces trimmed, literal <c>\t</c>/<c>\n</c> expanded.</summary>
    public static string TemplateText(string format)
    {
        ArgumentNullException.ThrowIfNull(format);
        if (format == "table") return "";
        if (format == "json") return "{{json .}}";
        string text = format.StartsWith("table", StringComparison.Ordinal) ? format[5..] : format;
        return text.Trim(' ').Replace(@"\t", "\t", StringComparison.Ordinal).Replace(@"\n", "\n", StringComparison.Ordinal);
    }

    /// <summary>Renders all rows (header first for tables) and returns the text.</summary>
    public string Render(IEnumerable<object?> rows)
    {
        var sw = new StringWriter { NewLine = "\n" };
        Write(sw, rows);
        return sw.ToString();
    }

    /// <summary>Renders all rows to <paramref name="output"/>; nothing is written if a row fails.</summary>
    public void Write(TextWriter output, IEnumerable<object?> rows)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(rows);
        var body = new StringBuilder();
        foreach (var row in rows)
        {
            try
            {
                _template.Execute(row, headerMode: false, body).Append('\n');
            }
            catch (TemplateException e)
            {
                throw new TemplateException("template parsing error: " + e.Message);
            }
        }
        if (!IsTable)
        {
            output.Write(body);
            return;
        }
        var tw = new TableWriter(output);
        string header;
        try
        {
            header = _template.Execute(_headers, headerMode: true);
        }
        catch (TemplateException)
        {
            // docker ignores header rendering errors; the rows already rendered fine.
            header = "";
        }
        tw.Write(header);
        tw.Write("\n");
        tw.Write(body);
        tw.Flush();
    }
}
