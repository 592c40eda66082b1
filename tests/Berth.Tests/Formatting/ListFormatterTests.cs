using Berth.Cli.Formatting;

namespace Berth.Tests.Formatting;

public class ListFormatterTests
{
    private static readonly Dictionary<string, string> ImageHeaders = new()
    {
        ["ID"] = "IMAGE ID", ["Repository"] = "REPOSITORY", ["Tag"] = "TAG", ["CreatedSince"] = "CREATED", ["Size"] = "SIZE",
    };

    private static readonly List<object?> Images =
    [
        new Dictionary<string, object?> { ["ID"] = "3f57d9401f8d", ["Repository"] = "busybox", ["Tag"] = "latest", ["CreatedSince"] = "2 weeks ago", ["Size"] = "4.26MB" },
        new Dictionary<string, object?> { ["ID"] = "a1b2c3d4e5f6", ["Repository"] = "localhost:5000/a/b", ["Tag"] = "1.0", ["CreatedSince"] = "3 months ago", ["Size"] = "77.8MB" },
    ];

    [Fact]
    public void Table_format_prints_a_header_and_aligned_columns()
    {
        var f = new ListFormatter(@"table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}", ImageHeaders);
        Assert.True(f.IsTable);
        Assert.Equal(
            "REPOSITORY           TAG       IMAGE ID       CREATED        SIZE\n" +
            "busybox              latest    3f57d9401f8d   2 weeks ago    4.26MB\n" +
            "localhost:5000/a/b   1.0       a1b2c3d4e5f6   3 months ago   77.8MB\n",
            f.Render(Images));
    }

    [Fact]
    public void Header_functions_pass_the_header_through()
        => Assert.Equal("IMAGE ID\n3F57D9401F8D\nA1B2C3D4E5F6\n", new ListFormatter("table {{upper .ID}}", ImageHeaders).Render(Images));

    [Fact]
    public void Plain_templates_print_one_line_per_row_without_header()
        => Assert.Equal("busybox:latest\nlocalhost:5000/a/b:1.0\n", new ListFormatter("{{.Repository}}:{{.Tag}}").Render(Images));

    [Fact]
    public void Json_prints_one_object_per_line()
    {
        var f = new ListFormatter("json");
        Assert.True(f.IsJson);
        string first = f.Render(Images).Split('\n')[0];
        Assert.Equal("""{"ID":"3f57d9401f8d","Repository":"busybox","Tag":"latest","CreatedSince":"2 weeks ago","Size":"4.26MB"}""", first);
    }

    [Fact]
    public void Bare_table_uses_the_commands_default_format()
        => Assert.StartsWith("IMAGE ID\n", new ListFormatter("table", ImageHeaders, "table {{.ID}}").Render(Images));

    [Fact]
    public void A_field_without_a_header_prints_no_value_in_the_header_row()
        => Assert.StartsWith("<no value>", new ListFormatter("table {{.ID}}", new Dictionary<string, string>()).Render(Images));

    [Fact]
    public void Errors_are_prefixed_like_docker()
    {
        var e = Assert.Throws<TemplateException>(() => new ListFormatter("{{.ID | nope}}"));
        Assert.Equal("template parsing error: template: :1: function \"nope\" not defined", e.Message);
        var e2 = Assert.Throws<TemplateException>(() => new ListFormatter("{{.Foo}}").Render(Images));
        Assert.StartsWith("template parsing error: template: :1:2: executing \"\" at <.Foo>: can't evaluate field Foo", e2.Message);
    }

    [Theory]
    [InlineData(@"table {{.ID}}\t{{.Name}}", "{{.ID}}\t{{.Name}}")]
    [InlineData(@"  {{.ID}}\n  ", "{{.ID}}\n")]
    [InlineData("json", "{{json .}}")]
    [InlineData("table", "")]
    public void Template_text_is_derived_like_docker(string format, string expected)
        => Assert.Equal(expected, ListFormatter.TemplateText(format));
}
