using System.Text;
using Berth.Engine.Dockerfile.Syntax;

namespace Berth.Tests.Dockerfile.Syntax;

public sealed class DockerfileParserTests
{
    private static string Dump(string text) => DockerfileParser.Parse(text).Dump();

    [Fact]
    public void Keyword_is_lower_cased_in_the_dump_but_arguments_are_not() =>
        Assert.Equal("(from \"Alpine\" \"AS\" \"Base\")\n", Dump("FROM Alpine AS Base"));

    [Fact]
    public void Flags_are_extracted_with_quotes_removed() =>
        Assert.Equal("(copy [\"--from=a b\" \"--link\"] \"x\" \"/y\")\n", Dump("COPY --from=\"a b\" --link x /y\n"));

    [Fact]
    public void Double_dash_ends_the_flags() =>
        Assert.Equal("(run [\"--network=none\"] \"--version\")\n", Dump("RUN --network=none -- --version\n"));

    [Fact]
    public void Continuation_joins_lines_without_a_separator() =>
        Assert.Equal("(run \"echo hello  world\")\n", Dump("RUN echo hello\\\n  world\n"));

    [Fact]
    public void Backtick_escape_directive_changes_the_continuation_character() =>
        Assert.Equal("(run \"dir c:\\\\\")\n(run \"a b\")\n", Dump("# escape=`\nRUN dir c:\\\nRUN a`\n b\n"));

    [Fact]
    public void Comment_inside_a_continuation_is_skipped()
    {
        var ast = DockerfileParser.Parse("RUN a \\\n# note\n  b\n");
        Assert.Equal("(run \"a   b\")\n", ast.Dump());
        Assert.Empty(ast.Warnings);
        Assert.Equal(3, ast.Instructions[0].EndLine);
    }

    [Fact]
    public void Blank_line_inside_a_continuation_warns()
    {
        var ast = DockerfileParser.Parse("RUN a \\\n\n  b\n");
        var w = Assert.Single(ast.Warnings);
        Assert.Equal("Empty continuation line found in: RUN a   b", w.Short);
        Assert.Equal(3, w.Line);
    }

    [Fact]
    public void Repeated_directive_is_an_error_with_its_line()
    {
        var e = Assert.Throws<DockerfileSyntaxException>(() => DockerfileParser.Parse("# syntax=a\n# syntax=b\nFROM x\n"));
        Assert.Equal("Dockerfile:2: only one syntax parser directive can be used", e.Message);
    }

    [Fact]
    public void Bad_escape_directive_is_an_error() =>
        Assert.Contains("invalid escape token '$' does not match ` or \\", Assert.Throws<DockerfileSyntaxException>(() => DockerfileParser.Parse("# escape=$\nFROM x\n")).Message);

    [Fact]
    public void Directives_are_reported()
    {
        var ast = DockerfileParser.Parse("# syntax=docker/dockerfile:1\n# check=skip=all\nFROM x\n");
        Assert.Equal([new Directive("syntax", "docker/dockerfile:1", 1), new Directive("check", "skip=all", 2)], ast.Directives);
    }

    [Fact]
    public void Directive_after_an_instruction_is_a_comment()
    {
        var ast = DockerfileParser.Parse("FROM x\n# escape=`\nRUN a \\\n b\n");
        Assert.Empty(ast.Directives);
        Assert.Equal('\\', ast.EscapeToken);
    }

    [Fact]
    public void Bom_is_dropped() => Assert.Equal("(from \"x\")\n", DockerfileParser.Parse([0xEF, 0xBB, 0xBF, .. "FROM x\n"u8]).Dump());

    [Fact]
    public void Crlf_line_endings_are_accepted() => Assert.Equal("(from \"x\")\n(run \"a b\")\n", Dump("FROM x\r\nRUN a\\\r\n b\r\n"));

    [Fact]
    public void Non_string_json_element_is_a_hard_error() =>
        Assert.Contains("arrays must be comprised of strings only", Assert.Throws<DockerfileSyntaxException>(() => DockerfileParser.Parse("CMD [\"a\", 1]\n")).Message);

    [Fact]
    public void Invalid_json_falls_back_to_shell_form() =>
        Assert.Equal("(cmd \"['a', 'b']\")\n", Dump("CMD ['a', 'b']\n"));

    [Fact]
    public void Env_legacy_form_keeps_the_rest_of_the_line() =>
        Assert.Equal("(env \"A\" \"b  c\" \"\")\n", Dump("ENV A b  c\n"));

    [Fact]
    public void Onbuild_nests_its_instruction() =>
        Assert.Equal("(onbuild (run [\"--network=none\"] \"make\"))\n", Dump("ONBUILD RUN --network=none make\n"));

    [Fact]
    public void Unknown_instruction_is_kept_with_an_empty_argument() =>
        Assert.Equal("(from \"x\")\n(frob \"\")\n", Dump("FROM x\nFROB a b\n"));

    [Fact]
    public void File_with_only_comments_has_no_instructions() =>
        Assert.Contains("file with no instructions", Assert.Throws<DockerfileSyntaxException>(() => DockerfileParser.Parse("# a\n\n# b\n")).Message);

    [Fact]
    public void Heredocs_take_consecutive_bodies_and_extend_the_end_line()
    {
        var ast = DockerfileParser.Parse("FROM x\nCOPY <<A <<-B /d\na\nA\n\tb\n\tB\nRUN ok\n");
        var copy = ast.Instructions[1];
        Assert.Equal([new Heredoc("A", "a\n", true, false, 0), new Heredoc("B", "\tb\n", true, true, 0)], copy.Heredocs);
        Assert.Equal((2, 6), (copy.StartLine, copy.EndLine));
        Assert.Equal(7, ast.Instructions[2].StartLine);
        Assert.Equal("(from \"x\")\n(copy \"<<A\" \"<<-B\" \"/d\")\n(run \"ok\")\n", ast.Dump());
    }

    [Fact]
    public void Heredoc_in_onbuild_is_attached_to_the_onbuild_node()
    {
        var ast = DockerfileParser.Parse("ONBUILD RUN <<EOF\nhi\nEOF\n");
        Assert.Equal("hi\n", Assert.Single(ast.Instructions[0].Heredocs).Content);
    }

    [Fact]
    public void Unterminated_heredoc_is_an_error_at_its_instruction()
    {
        var e = Assert.Throws<DockerfileSyntaxException>(() => DockerfileParser.Parse("FROM x\nRUN <<EOF\necho\n"));
        Assert.Equal("Dockerfile:2: unterminated heredoc", e.Message);
    }

    [Fact]
    public void Heredoc_under_backtick_escape_still_lexes_with_backslash()
    {
        var ast = DockerfileParser.Parse("# escape=`\nRUN <<E\\'F\nx\nE'F\n");
        Assert.Equal("E'F", Assert.Single(ast.Instructions[0].Heredocs).Name);
    }

    [Fact]
    public void Line_whose_heredoc_quote_is_unterminated_has_no_heredoc_as_in_buildkit()
    {
        // BuildKit ignores the lexer error for the whole line, so the body lines become instructions of their own.
        var ast = DockerfileParser.Parse("RUN cat <<'EOF\nx\nEOF\n");
        Assert.Empty(ast.Instructions[0].Heredocs);
        Assert.Equal(3, ast.Instructions.Count);
    }

    [Fact]
    public void Heredoc_word_with_an_unterminated_quote_is_an_error() =>
        Assert.Throws<FormatException>(() => HeredocSyntax.ParseWord("<<'EOF"));

    [Fact]
    public void Invalid_utf8_bytes_dump_as_go_hex_escapes()
    {
        byte[] bytes = [.. "RUN a"u8, 0xFF, 0xC3, .. "\n"u8];
        Assert.Equal("(run \"a\\xff\\xc3\")\n", DockerfileParser.Parse(bytes).Dump());
        Assert.Equal(bytes[..^1], SourceText.Encode(DockerfileParser.Parse(bytes).Instructions[0].Original));
    }

    [Theory]
    [InlineData("abc", "\"abc\"")]
    [InlineData("\u00a0\u200b\ufeff", "\"\\u00a0\\u200b\\ufeff\"")]
    [InlineData("\u007f\u0001", "\"\\x7f\\x01\"")]
    [InlineData("é♥", "\"é♥\"")]
    [InlineData("\U0001F600", "\"\U0001F600\"")]
    [InlineData("\U000E0001", "\"\\U000e0001\"")]
    [InlineData("\a\b\f\n\r\t\v\"\\", "\"\\a\\b\\f\\n\\r\\t\\v\\\"\\\\\"")]
    public void Go_quote_matches_strconv_quote(string input, string expected) => Assert.Equal(expected, GoQuote.Quote(input));

    [Fact]
    public void Long_line_is_rejected_like_go_scanner()
    {
        var text = "FROM x\nRUN " + new string('a', 70000) + "\n";
        var e = Assert.Throws<DockerfileSyntaxException>(() => DockerfileParser.Parse(Encoding.UTF8.GetBytes(text)));
        Assert.Equal("Dockerfile:2: dockerfile line greater than max allowed size of 65535", e.Message);
        Assert.Throws<DockerfileSyntaxException>(() => DockerfileParser.Parse(text));
    }

    [Fact]
    public void Large_dockerfile_parses_quickly_enough_to_not_matter()
    {
        var sb = new StringBuilder("FROM alpine\n");
        for (int i = 0; i < 1000; i++)
            sb.Append("RUN echo ").Append(i).Append(" \\\n  && ls -la /tmp\nENV A").Append(i).Append("=x B=y\nCOPY [\"a\", \"b\"]\n");
        var ast = DockerfileParser.Parse(sb.ToString());
        Assert.Equal(3001, ast.Instructions.Count);
        Assert.Equal(4001, ast.Root.EndLine);
    }
}
