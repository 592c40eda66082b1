using Berth.Engine.Dockerfile.Ignore;

namespace Berth.Tests.Dockerfile.Ignore;

public sealed class DockerignoreTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("berth-ignore-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private void Touch(string path)
    {
        var full = Path.Combine(_root, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, "");
    }

    private List<string> Walk(params string[] patterns)
        => new BuildContextFilter(patterns).Walk(_root).Select(e => e.Path).ToList();

    [Fact]
    public void Reader_skips_comments_and_blanks_and_cleans_paths()
        => Assert.Equal(["a", "b/c", "!d", "  # not a comment".Trim(), "/"],
            DockerignoreReader.Read("\uFEFFa\r\n# comment\n\n  /b/./c/  \n! /d\n  # not a comment\n/"));

    [Fact]
    public void Reader_keeps_a_lone_exclamation_which_the_matcher_rejects()
    {
        Assert.Equal(["!"], DockerignoreReader.Read("!"));
        Assert.Throws<IgnorePatternException>(() => new BuildContextFilter(DockerignoreReader.Read("!")));
    }

    [Fact]
    public void Walk_lists_included_paths_in_lexical_order_with_directories_first()
    {
        Touch("b.txt");
        Touch("a/z.txt");
        Touch("a/y.log");
        Assert.Equal(["a", "a/y.log", "a/z.txt", "b.txt"], Walk());
        Assert.Equal(["a", "a/z.txt", "b.txt"], Walk("**/*.log"));
    }

    [Fact]
    public void Excluded_directory_without_exceptions_is_not_read_at_all()
    {
        var fs = new RecordingFileSystem(_root);
        Touch("node_modules/x/y.js");
        Touch("src/app.js");
        var walked = new BuildContextFilter(["node_modules"]).Walk(fs).Select(e => e.Path).ToList();
        Assert.Equal(["src", "src/app.js"], walked);
        Assert.DoesNotContain("node_modules", fs.Read);
    }

    [Fact]
    public void Exception_below_an_excluded_directory_sends_the_directory_and_the_file()
    {
        Touch("docs/a.md");
        Touch("docs/keep.md");
        Assert.Equal(["docs", "docs/keep.md"], Walk("docs", "!docs/keep.md"));
    }

    [Fact]
    public void Wildcard_exception_forces_descending_into_excluded_directories()
    {
        Touch("x/deep/keep.md");
        Touch("x/deep/drop.txt");
        Assert.Equal(["x", "x/deep", "x/deep/keep.md"], Walk("x", "!**/*.md"));
    }

    [Fact]
    public void Unreadable_directory_that_is_not_ignored_fails_the_walk()
    {
        Directory.CreateDirectory(Path.Combine(_root, "secret"));
        var fs = new RecordingFileSystem(_root, deny: "secret");
        Assert.Throws<BuildContextException>(() => new BuildContextFilter([]).Walk(fs).ToList());
        Assert.Empty(new BuildContextFilter(["secret"]).Walk(fs).ToList());
    }

    [Fact]
    public void Dockerfile_and_dockerignore_still_reach_the_builder_when_ignored()
    {
        var transfer = BuildContextFilter.PatternsForTransfer(["*", "!src"], "build/Dockerfile");
        Assert.Equal(["*", "!src", "!.dockerignore", "!build/Dockerfile"], transfer);
        var copy = new BuildContextFilter(["*", "!src"]);
        Assert.True(copy.IsExcluded("build/Dockerfile"));
        Assert.False(new BuildContextFilter(transfer).IsExcluded("build/Dockerfile"));
    }

    [Fact]
    public void Dockerfile_specific_ignore_file_takes_precedence()
    {
        Touch(".dockerignore");
        Assert.Equal(Path.Combine(_root, ".dockerignore"), DockerignoreLocator.Find(_root, "app/Dockerfile"));
        Touch("app/Dockerfile.dockerignore");
        Assert.Equal(Path.Combine(_root, "app/Dockerfile") + ".dockerignore", DockerignoreLocator.Find(_root, "app/Dockerfile"));
    }

    [Fact]
    public async Task Missing_ignore_file_gives_no_patterns()
    {
        var source = await DockerignoreLocator.LoadAsync(_root, "Dockerfile");
        Assert.Null(source.FilePath);
        Assert.Empty(source.Patterns);
    }

    private sealed class RecordingFileSystem(string root, string? deny = null) : IContextFileSystem
    {
        private readonly PhysicalContextFileSystem _inner = new(root);
        public List<string> Read { get; } = [];

        public IEnumerable<ContextDirectoryEntry> ReadDirectory(string relativeDirectory)
        {
            if (relativeDirectory == deny) throw new UnauthorizedAccessException("denied");
            Read.Add(relativeDirectory);
            return _inner.ReadDirectory(relativeDirectory);
        }
    }
}
