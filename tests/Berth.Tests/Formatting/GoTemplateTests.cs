using System.Text.Json.Nodes;
using Berth.Cli.Formatting;

namespace Berth.Tests.Formatting;

// Expected output is what Go's text/template with docker/cli's functions prints for the same data.
public class GoTemplateTests
{
    private static readonly JsonNode Inspect = JsonNode.Parse("""
        {
          "Id": "sha256:3f57d9401f8d42f986df300f0c69192fc41da28ccc8d797829467780db3dd741",
          "RepoTags": ["busybox:latest", "busybox:1.36"],
          "Size": 4261550,
          "Ratio": 0.5,
          "Big": 12345678.5,
          "Empty": [],
          "Nothing": null,
          "Flag": true,
          "Config": {
            "Env": ["PATH=/usr/bin", "A=b"],
            "Cmd": ["sh"],
            "Labels": { "z": "last", "a": "first", "com.example.k": "v" },
            "User": ""
          }
        }
        """)!;

    private static string Run(string template, object? data) => GoTemplate.Parse(template).Execute(data);

    [Theory]
    [InlineData("{{.ID}}\t{{.Names}}", "ID,Names")]
    [InlineData("table {{.ID}}", "ID")]
    [InlineData("{{range .Ports}}{{.HostPort}}{{end}}", "HostPort,Ports")]
    [InlineData("{{if .A}}{{.B}}{{else}}{{.C}}{{end}}", "A,B,C")]
    [InlineData("{{.Image | upper | printf \"%s\"}} {{join .Names \",\"}}", "Image,Names")]
    [InlineData("{{(.Config).Labels}}", "Config")]
    [InlineData("{{with .State}}{{.Status}}{{end}}", "State,Status")]
    [InlineData("plain text", "")]
    public void The_fields_a_template_reads_are_named(string template, string fields)
    {
        var referenced = GoTemplate.Parse(template.StartsWith("table", StringComparison.Ordinal) ? template[6..] : template).ReferencedFields();
        Assert.NotNull(referenced);
        Assert.Equal(fields, string.Join(',', referenced.Order(StringComparer.Ordinal)));
    }

    [Theory]
    [InlineData("{{json .}}")]
    [InlineData("{{.}}")]
    [InlineData("{{$.ID}}")]
    [InlineData("{{range $i, $p := .Ports}}{{$p}}{{end}}")]
    [InlineData("{{printf \"%v\" .}}")]
    public void A_template_that_may_read_the_whole_value_names_no_fields(string template) =>
        Assert.Null(GoTemplate.Parse(template).ReferencedFields());

    [Theory]
    [InlineData("{{.Id}}", "sha256:3f57d9401f8d42f986df300f0c69192fc41da28ccc8d797829467780db3dd741")]
    [InlineData("{{.Config.Env}}", "[PATH=/usr/bin A=b]")]
    [InlineData("{{.Config.Labels}}", "map[a:first com.example.k:v z:last]")]
    [InlineData("{{.Size}}", "4261550")]
    [InlineData("{{.Ratio}}", "0.5")]
    [InlineData("{{.Big}}", "1.23456785e+07")]
    [InlineData("{{.Nothing}}", "<nil>")]
    [InlineData("{{.Missing}}", "<no value>")]
    [InlineData("{{.Missing.Deeper}}", "<no value>")]
    [InlineData("{{.Flag}}", "true")]
    [InlineData("{{.Empty}}", "[]")]
    [InlineData("{{json .Config.Cmd}}", "[\"sh\"]")]
    // A JsonObject keeps its order in json output (it stands for a serialised struct); printing it sorts like a Go map.
    [InlineData("{{json .Config.Labels}}", "{\"z\":\"last\",\"a\":\"first\",\"com.example.k\":\"v\"}")]
    [InlineData("{{json .Nothing}}", "null")]
    [InlineData("{{json .Size}}", "4261550")]
    [InlineData("{{index .Config.Labels \"com.example.k\"}}", "v")]
    [InlineData("{{index .Config.Labels \"nope\"}}", "<nil>")]
    [InlineData("{{index .RepoTags 1}}", "busybox:1.36")]
    [InlineData("{{range .RepoTags}}[{{.}}]{{end}}", "[busybox:latest][busybox:1.36]")]
    [InlineData("{{range $i, $t := .RepoTags}}{{$i}}={{$t}} {{end}}", "0=busybox:latest 1=busybox:1.36 ")]
    [InlineData("{{range $k, $v := .Config.Labels}}{{$k}}:{{$v}};{{end}}", "a:first;com.example.k:v;z:last;")]
    [InlineData("{{range .Empty}}x{{else}}none{{end}}", "none")]
    [InlineData("{{range .Nothing}}x{{else}}none{{end}}", "none")]
    [InlineData("{{join .RepoTags \",\"}}", "busybox:latest,busybox:1.36")]
    [InlineData("{{join .Config.Labels \",\"}}", "first,last,v")]
    [InlineData("{{len .RepoTags}}", "2")]
    [InlineData("{{len .Config.Labels}}", "3")]
    [InlineData("{{len \"héllo\"}}", "6")]
    [InlineData("{{truncate .Id 19}}", "sha256:3f57d9401f8d")]
    [InlineData("{{truncate \"abc\" 12}}", "abc")]
    [InlineData("{{upper \"abc\"}}-{{lower \"ABC\"}}-{{title \"hello wide-world\"}}", "ABC-abc-Hello Wide-World")]
    [InlineData("{{pad \"x\" 2 3}}|{{pad \"\" 2 3}}|", "  x   ||")]
    [InlineData("{{split \"a:b:c\" \":\"}}", "[a b c]")]
    [InlineData("{{printf \"%s has %d tags\" .Id 2}}", "sha256:3f57d9401f8d42f986df300f0c69192fc41da28ccc8d797829467780db3dd741 has 2 tags")]
    [InlineData("{{printf \"%-6s|%5d|%05d|%.2f|%q|%v|%t\" \"ab\" 42 7 3.14159 \"q\" .Config.Cmd true}}", "ab    |   42|00007|3.14|\"q\"|[sh]|true")]
    [InlineData("{{printf \"%d\" \"x\"}}", "%!d(string=x)")]
    [InlineData("{{printf \"%s %s\" \"x\"}}", "x %!s(MISSING)")]
    [InlineData("{{println \"a\" 1}}", "a 1\n")]
    [InlineData("{{print \"a\" 1 2 \"b\"}}", "a1 2b")]
    [InlineData("{{.Config.Cmd | json}}", "[\"sh\"]")]
    [InlineData("{{\"abc\" | upper | printf \"<%s>\"}}", "<ABC>")]
    [InlineData("{{if .Flag}}yes{{else}}no{{end}}", "yes")]
    [InlineData("{{if .Config.User}}user{{else}}root{{end}}", "root")]
    [InlineData("{{if .Missing}}a{{else if .Flag}}b{{else}}c{{end}}", "b")]
    [InlineData("{{if and .Flag .Size}}both{{end}}", "both")]
    [InlineData("{{if or .Missing .Config.User}}x{{else}}neither{{end}}", "neither")]
    [InlineData("{{if not .Flag}}x{{else}}y{{end}}", "y")]
    [InlineData("{{if eq .Size 4261550}}eq{{end}}{{if ne .Ratio 1.0}}ne{{end}}{{if lt 1 2}}lt{{end}}{{if eq \"a\" \"b\" \"a\"}}any{{end}}", "eqneltany")]
    [InlineData("{{with .Config}}{{.Cmd}}{{end}}", "[sh]")]
    [InlineData("{{with .Missing}}x{{else}}no{{end}}", "no")]
    [InlineData("{{$x := .Size}}{{$x}}", "4261550")]
    [InlineData("{{$x := 1}}{{$x = 2}}{{$x}}", "2")]
    [InlineData("{{range .RepoTags}}{{$.Size}} {{end}}", "4261550 4261550 ")]
    [InlineData("{{.}}", "x")]
    [InlineData("a  {{- .Flag -}}  b", "atrueb")]
    [InlineData("a\n{{- .Flag}}\n", "atrue\n")]
    [InlineData("{{/* comment */}}x{{- /* trimmed */ -}} y", "xy")]
    [InlineData("{{range .RepoTags}}{{if eq . \"busybox:1.36\"}}{{break}}{{end}}{{.}}{{end}}", "busybox:latest")]
    [InlineData("{{range .RepoTags}}{{if eq . \"busybox:latest\"}}{{continue}}{{end}}{{.}}{{end}}", "busybox:1.36")]
    [InlineData("{{range 3}}{{.}}{{end}}", "012")]
    [InlineData("{{(index .RepoTags 0)}}", "busybox:latest")]
    [InlineData("{{(.Config).Cmd}}", "[sh]")]
    [InlineData("{{slice .Id 0 6}}", "sha256")]
    [InlineData("{{`raw\\n`}}", "raw\\n")]
    [InlineData("{{\"tab\\there\"}}", "tab\there")]
    [InlineData("{{print nil}}", "<nil>")]
    public void Executes_like_go_text_template(string template, string expected)
    {
        object? data = template == "{{.}}" ? "x" : Inspect;
        Assert.Equal(expected, Run(template, data));
    }

    [Fact]
    public void Json_of_the_whole_object_is_compact_and_keeps_field_order()
    {
        var node = JsonNode.Parse("""{"b":1,"a":"<&>","c":[true,null],"d":1.5}""");
        Assert.Equal("""{"b":1,"a":"<&>","c":[true,null],"d":1.5}""", Run("{{json .}}", node));
    }

    [Fact]
    public void Rows_behave_like_docker_list_contexts()
    {
        var row = new Dictionary<string, object?>
        {
            ["ID"] = "3f57d9401f8d",
            ["Names"] = "web",
            ["Labels"] = new Dictionary<string, string> { ["b"] = "2", ["a"] = "1" },
            ["Ports"] = new List<string> { "80/tcp", "443/tcp" },
            ["Count"] = 3,
            ["Label"] = new Func<string, string>(k => k == "a" ? "1" : ""),
        };
        Assert.Equal("3f57d9401f8d web", Run("{{.ID}} {{.Names}}", row));
        Assert.Equal("WEB", Run("{{.Names | upper}}", row));
        Assert.Equal("map[a:1 b:2]", Run("{{.Labels}}", row));
        Assert.Equal("", Run("{{index .Labels \"zz\"}}", row));
        Assert.Equal("80/tcp, 443/tcp", Run("{{join .Ports \", \"}}", row));
        Assert.Equal("3", Run("{{.Count}}", row));
        Assert.Equal("1", Run("{{.Label \"a\"}}", row));
        Assert.Equal("""{"ID":"3f57d9401f8d","Names":"web","Labels":{"a":"1","b":"2"},"Ports":["80/tcp","443/tcp"],"Count":3,"Label":null}""".Replace(",\"Label\":null", ""),
            Run("{{json .}}", row.Where(kv => kv.Key != "Label").ToDictionary(kv => kv.Key, kv => kv.Value)));
    }

    [Theory]
    [InlineData("{{foo}}", "template: :1: function \"foo\" not defined")]
    [InlineData("{{.ID", "template: :1: unclosed action")]
    [InlineData("{{if .A}}x", "template: :1: unexpected EOF")]
    [InlineData("x{{end}}", "template: :1: unexpected {{end}}")]
    [InlineData("{{}}", "template: :1: missing value for command")]
    [InlineData("{{$x}}", "template: :1: undefined variable \"$x\"")]
    [InlineData("a\n{{nope .X}}", "template: :2: function \"nope\" not defined")]
    [InlineData("{{\"abc}}", "template: :1: unterminated quoted string")]
    [InlineData("{{.A | 3}}", "template: :1: non executable command in pipeline stage 2")]
    [InlineData("{{break}}", "template: :1: {{break}} outside {{range}}")]
    [InlineData("{{.A %}}", "template: :1: unrecognized character in action: U+0025 '%'")]
    public void Parse_errors_read_like_go(string template, string message)
        => Assert.Equal(message, Assert.Throws<TemplateException>(() => GoTemplate.Parse(template)).Message);

    [Fact]
    public void Unknown_row_fields_are_execution_errors_with_position()
    {
        var row = new Dictionary<string, object?> { ["ID"] = "x" };
        var e = Assert.Throws<TemplateException>(() => Run("{{.ID}} {{.Foo}}", row));
        Assert.Equal("template: :1:10: executing \"\" at <.Foo>: can't evaluate field Foo in type struct", e.Message);
    }

    [Theory]
    [InlineData("{{.Nothing.X}}", "nil pointer evaluating interface {}.X")]
    [InlineData("{{.Id.X}}", "can't evaluate field X in type string")]
    [InlineData("{{upper .Size}}", "wrong type for value; expected string; got int")]
    [InlineData("{{join .Id \",\"}}", "error calling join: expected slice, got string")]
    [InlineData("{{index .RepoTags 5}}", "error calling index: index out of range: 5")]
    [InlineData("{{len .Size}}", "error calling len: len of type int")]
    [InlineData("{{upper}}", "wrong number of args for upper: want 1 got 0")]
    [InlineData("{{.Id 1}}", "Id is not a method but has arguments")]
    [InlineData("{{\"x\" 1}}", "can't give argument to non-function \"x\"")]
    [InlineData("{{nil}}", "nil is not a command")]
    [InlineData("{{lt .Id 1}}", "error calling lt: incompatible types for comparison")]
    public void Execution_errors_carry_gos_messages(string template, string suffix)
    {
        var e = Assert.Throws<TemplateException>(() => Run(template, Inspect));
        Assert.StartsWith("template: :1:", e.Message);
        Assert.EndsWith(suffix, e.Message);
    }
}
