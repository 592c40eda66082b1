using System.Text.Json.Nodes;
using Berth.Cli.Formatting;

namespace Berth.Cli.Output;

/// <summary>Prints list rows the way docker/cli's formatter does: a default table, `table TEMPLATE`, `json`, or a raw Go template per row.</summary>
public static class FormattedList
{
    public static void Write(TextWriter output, string? format, string defaultTable, IReadOnlyList<JsonObject> rows, IReadOnlyDictionary<string, string> headers)
    {
        if (string.IsNullOrEmpty(format) || format == "table") format = defaultTable;
        if (format == "json")
        {
            foreach (var row in rows) output.WriteLine(row.ToJsonString(JsonOutput.Compact));
            return;
        }
        bool table = format.StartsWith("table", StringComparison.Ordinal);
        string body = (table ? format[5..] : format).Trim(' ').Replace("\\t", "\t").Replace("\\n", "\n");
        var template = GoTemplate.Parse(body);
        if (!table)
        {
            foreach (var row in rows) output.WriteLine(template.Execute(row));
            return;
        }
        var writer = new TableWriter(output);
        var headerRow = new JsonObject();
        foreach (var (key, value) in headers) headerRow[key] = value;
        writer.Write(template.Execute(headerRow) + "\n");
        foreach (var row in rows) writer.Write(template.Execute(row) + "\n");
        writer.Flush();
    }
}
