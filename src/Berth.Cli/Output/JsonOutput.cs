using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Berth.Cli.Output;

/// <summary>JSON as the Docker CLI prints it: 4-space indented arrays for inspect, Go's escaping of &lt;, &gt; and &amp;.</summary>
public static class JsonOutput
{
    public static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, IndentSize = 4, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    public static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string GoEscape(string json) => json.Replace("<", "\\u003c").Replace(">", "\\u003e").Replace("&", "\\u0026");

    /// <summary>`inspect` output: a JSON array of the objects, or one template result per object with -f.</summary>
    public static void WriteInspect(TextWriter output, IReadOnlyList<JsonNode> objects, string? format)
    {
        if (!string.IsNullOrEmpty(format) && format != "json")
        {
            var template = Formatting.GoTemplate.Parse(format.Replace("\\t", "\t").Replace("\\n", "\n"));
            foreach (var node in objects) output.WriteLine(template.Execute(node));
            return;
        }
        var array = new JsonArray(objects.Select(o => o.DeepClone()).ToArray());
        output.WriteLine(GoEscape(array.ToJsonString(Indented)));
    }
}
