using Berth.Engine.Dockerfile.Expansion;

namespace Berth.Tests.Dockerfile.Expansion;

public class ShellWordExpanderTests
{
    private static readonly ShellWordExpander Lex = new();
    private static readonly EnvironmentList Env = new(["SET=value", "EMPTY=", "PATH_V=/usr/local/bin/app.tar.gz", "SP=a  b"]);

    private static string Word(string text) => Lex.ProcessWord(text, Env);

    [Theory]
    [InlineData("$SET", "value")]
    [InlineData("${SET}", "value")]
    [InlineData("x${SET}y", "xvaluey")]
    [InlineData("$UNSET", "")]
    [InlineData("${UNSET}", "")]
    [InlineData("${UNSET:-w}", "w")]
    [InlineData("${EMPTY:-w}", "w")]
    [InlineData("${SET:-w}", "value")]
    [InlineData("${UNSET-w}", "w")]
    [InlineData("${EMPTY-w}", "")]
    [InlineData("${UNSET:+w}", "")]
    [InlineData("${EMPTY:+w}", "")]
    [InlineData("${SET:+w}", "w")]
    [InlineData("${EMPTY+w}", "w")]
    [InlineData("${UNSET+w}", "")]
    [InlineData("${SET:?m}", "value")]
    [InlineData("${EMPTY?m}", "")]
    public void Each_parameter_operator_follows_the_shell_rules(string input, string expected) => Assert.Equal(expected, Word(input));

    [Theory]
    [InlineData("${PATH_V#*/}", "usr/local/bin/app.tar.gz")]
    [InlineData("${PATH_V##*/}", "app.tar.gz")]
    [InlineData("${PATH_V%.*}", "/usr/local/bin/app.tar")]
    [InlineData("${PATH_V%%.*}", "/usr/local/bin/app")]
    [InlineData("${PATH_V/local/opt}", "/usr/opt/bin/app.tar.gz")]
    [InlineData("${PATH_V//\\//_}", "_usr_local_bin_app.tar.gz")]
    [InlineData("${PATH_V/?sr/X}", "/X/local/bin/app.tar.gz")]
    [InlineData("${PATH_V#nomatch}", "/usr/local/bin/app.tar.gz")]
    public void Trim_and_substitution_use_shell_glob_patterns(string input, string expected) => Assert.Equal(expected, Word(input));

    [Fact]
    public void Replace_all_with_an_empty_pattern_inserts_between_every_character()
        => Assert.Equal("-a-b-", Lex.ProcessWord("${V//$E/-}", new EnvironmentList(["V=ab", "E="])));

    [Fact]
    public void Mandatory_variable_error_names_the_variable_and_the_message()
    {
        var e = Assert.Throws<ShellExpansionException>(() => Word("${UNSET:?please set it}"));
        Assert.Equal("UNSET: please set it", e.Reason);
        Assert.Contains("UNSET: please set it", e.Message);
    }

    [Fact]
    public void Mandatory_variable_without_message_uses_the_default_texts()
    {
        Assert.Equal("UNSET: is not allowed to be unset", Assert.Throws<ShellExpansionException>(() => Word("${UNSET?}")).Reason);
        Assert.Equal("EMPTY: is not allowed to be empty", Assert.Throws<ShellExpansionException>(() => Word("${EMPTY:?}")).Reason);
    }

    [Theory]
    [InlineData("${SET:#x}")]
    [InlineData("${SET:%x}")]
    [InlineData("${SET:##x}")]
    [InlineData("${SET=x}")]
    [InlineData("${SET:=x}")]
    [InlineData("${SET//x}")]
    [InlineData("${}")]
    [InlineData("${:-x}")]
    [InlineData("${SET")]
    [InlineData("${SET#\\x}")]
    [InlineData("'open")]
    [InlineData("\"open")]
    public void Unsupported_or_malformed_substitutions_are_errors(string input)
        => Assert.Throws<ShellExpansionException>(() => Word(input));

    [Theory]
    [InlineData("'$SET \\x'", "$SET \\x")]
    [InlineData("\"$SET \\x \\$ \\\" \\\\\"", "value \\x $ \" \\")]
    [InlineData("a\\ b\\$SET", "a b$SET")]
    [InlineData("trailing\\", "trailing")]
    [InlineData("$1x$@y$.", "xy$.")]
    public void Quotes_and_escapes_behave_like_sh(string input, string expected) => Assert.Equal(expected, Word(input));

    [Fact]
    public void Backtick_escape_character_replaces_backslash()
    {
        var lex = new ShellWordExpander('`');
        Assert.Equal("C:\\dir $SET", lex.ProcessWord("C:\\dir `$SET", Env));
        Assert.Equal("a b", lex.ProcessWord("a` b", Env));
    }

    [Fact]
    public void Process_words_splits_unquoted_expansions_but_not_quoted_ones()
    {
        Assert.Equal(["xa", "by"], Lex.ProcessWords("x${SP}y", Env));
        Assert.Equal(["xa  by"], Lex.ProcessWords("x\"${SP}\"y", Env));
        Assert.Equal(["a b", "c"], Lex.ProcessWords("a\\ b   c", Env));
    }

    [Fact]
    public void Process_words_keeps_the_prefix_before_a_defaulted_expansion()
        => Assert.Equal(["aby"], Lex.ProcessWords("ab${X:-y}", Env));

    [Fact]
    public void Matches_and_unmatches_record_every_lookup_including_defaults_and_patterns()
    {
        var r = Lex.ProcessWordWithMatches("${SET#$NOPE}${UNSET:-$EMPTY}", Env);
        Assert.Equal(["EMPTY", "SET"], r.Matched.Order());
        Assert.Equal(["NOPE", "UNSET"], r.Unmatched.Order());
    }

    [Fact]
    public void Skip_unset_variables_leaves_references_literal()
    {
        var lex = new ShellWordExpander { SkipUnsetVariables = true };
        Assert.Equal("$NOPE ${NOPE} ${NOPE:-x} value", lex.ProcessWord("$NOPE ${NOPE} ${NOPE:-x} $SET", Env));
    }

    [Fact]
    public void Environment_list_uses_the_last_value_and_treats_a_bare_name_as_empty()
    {
        var env = new EnvironmentList(["A=1", "B", "A=2", "C=x=y"]);
        Assert.Equal("2", env.Get("A"));
        Assert.True(env.TryGet("B", out var b));
        Assert.Equal("", b);
        Assert.Equal("x=y", env.Get("C"));
    }

    [Fact]
    public void Variable_names_are_case_sensitive_on_linux()
        => Assert.Equal("", Lex.ProcessWord("$set", Env));

    [Fact]
    public void Heredoc_operator_keeps_its_blanks_in_one_word()
        => Assert.Equal(["cat", "<< EOF"], Lex.ProcessWords("cat << EOF", Env));
}
