using Berth.Engine.Dockerfile.Ignore;

namespace Berth.Tests.Dockerfile.Ignore;

public class PatternMatcherTests
{
    private static bool Ignored(string path, params string[] patterns) => new PatternMatcher(patterns).MatchesOrParentMatches(path);

    [Theory]
    [InlineData("a/b.txt", "*/*.txt", true)]
    [InlineData("a/b/c.txt", "*/*.txt", false)]
    [InlineData("ab", "a?", true)]
    [InlineData("a/", "a?", false)]
    [InlineData("ab", "a[a-c]", true)]
    [InlineData("ad", "a[^a-c]", true)]
    [InlineData("a!", "a[!a]", true)]
    [InlineData("a*", "a\\*", true)]
    [InlineData("x/y/z/file", "**/file", true)]
    [InlineData("dir/sub/f", "dir/**", true)]
    [InlineData("dir", "dir/**", false)]
    [InlineData("a.b", "a.b", true)]
    [InlineData("axb", "a.b", false)]
    public void Glob_syntax_follows_go_filepath_match(string path, string pattern, bool expected)
        => Assert.Equal(expected, Ignored(path, pattern));

    [Fact]
    public void A_pattern_matching_a_directory_excludes_its_contents()
        => Assert.True(Ignored("docs/deep/README.md", "docs"));

    [Fact]
    public void The_last_matching_pattern_wins()
    {
        Assert.False(Ignored("docs/README.md", "docs", "!docs/README.md"));
        Assert.True(Ignored("docs/README.md", "docs", "!docs/README.md", "docs/*.md"));
    }

    [Fact]
    public void Trailing_slash_and_dot_segments_are_cleaned_away()
        => Assert.True(Ignored("docs/x", "./docs/"));

    [Theory]
    [InlineData("!")]
    [InlineData("[")]
    [InlineData("a[]")]
    [InlineData("[z-]")]
    [InlineData("a\\")]
    public void Malformed_patterns_are_rejected_when_the_matcher_is_built(string pattern)
        => Assert.Throws<IgnorePatternException>(() => new PatternMatcher([pattern]));

    [Fact]
    public void An_invalid_expression_that_passes_the_glob_check_fails_on_every_match()
    {
        var m = new PatternMatcher(["[Local-Only]"]);
        Assert.Throws<IgnorePatternException>(() => m.MatchesOrParentMatches("x"));
        Assert.Throws<IgnorePatternException>(() => m.MatchesOrParentMatches("x"));
    }

    [Fact]
    public void Parent_results_avoid_retesting_ancestors()
    {
        var m = new PatternMatcher(["a", "!a/keep"]);
        var (dirMatched, info) = m.MatchesUsingParentResults("a", MatchInfo.None);
        Assert.True(dirMatched);
        Assert.False(m.MatchesUsingParentResults("a/keep", info).Matched);
        Assert.True(m.MatchesUsingParentResults("a/other", info).Matched);
    }

    [Theory]
    [InlineData("*", "Regex", "^[^/]*$")]
    [InlineData("dir/**", "Prefix", null)]
    [InlineData("**/x", "Suffix", null)]
    [InlineData("a.b", "Exact", null)]
    public void Patterns_are_classified_once_when_compiled(string pattern, string kind, string? regex)
    {
        var p = new PatternMatcher([pattern]).Patterns.Single();
        Assert.Equal(kind, p.Kind.ToString());
        Assert.Equal(regex, p.RegexText);
    }

    [Theory]
    [InlineData("", ".")]
    [InlineData("a//b/./c/", "a/b/c")]
    [InlineData("a/../../b", "../b")]
    [InlineData("/../a", "/a")]
    [InlineData("a/b/..", "a")]
    [InlineData("/", "/")]
    public void Go_clean_semantics_are_reproduced(string input, string expected)
        => Assert.Equal(expected, GoPath.Clean(input));

    [Fact]
    public void Posix_and_perl_classes_inside_patterns_behave_as_in_go_regexp()
    {
        Assert.True(Ignored("a1", "a[[:digit:]]"));
        Assert.True(Ignored("x7", "x\\d"));
        Assert.False(Ignored("xd", "x\\d"));
    }
}
