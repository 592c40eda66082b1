using System.Text;
using Berth.Engine.Dockerfile.Ignore;
using Berth.Engine.Dockerfile.Instructions;
using Berth.Engine.Dockerfile.Syntax;
using Berth.Tests.Support;

namespace Berth.Tests.Hostile;

/// <summary>Build inputs meant to exhaust the frontend: a huge Dockerfile, a context whose symlinks loop.</summary>
public class HostileBuildInputTests
{
    [Fact]
    public void A_Dockerfile_of_100000_lines_parses_completely()
    {
        var text = new StringBuilder("FROM scratch\n");
        for (int i = 1; i < 100_000; i++) text.Append("ENV V").Append(i).Append('=').Append(i).Append('\n');
        var ast = DockerfileParser.Parse(Encoding.UTF8.GetBytes(text.ToString()));
        Assert.Equal(100_000, ast.Root.Children.Count);
        Assert.Equal(100_000, ast.Root.Children[^1].StartLine);
        var model = DockerfileInstructions.Build(ast);
        Assert.Equal(99_999, Assert.Single(model.Stages).Instructions.Count);
    }

    [Fact]
    public void A_Dockerfile_of_100000_continuation_lines_is_one_instruction()
    {
        var text = new StringBuilder("FROM scratch\nRUN true");
        for (int i = 0; i < 100_000; i++) text.Append(" \\\n && true");
        text.Append('\n');
        var ast = DockerfileParser.Parse(Encoding.UTF8.GetBytes(text.ToString()));
        Assert.Equal(2, ast.Root.Children.Count);
        Assert.Equal(100_002, ast.Root.Children[1].EndLine);
    }

    [Fact]
    public void A_context_with_symlink_loops_is_walked_once_without_following_links()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir.Combine("a", "b"));
        File.WriteAllText(dir.Combine("a", "b", "file"), "x");
        File.CreateSymbolicLink(dir.Combine("a", "b", "loop"), "../..");   // points back at the context root
        File.CreateSymbolicLink(dir.Combine("self"), "self");               // points at itself
        File.CreateSymbolicLink(dir.Combine("ping"), "pong");
        File.CreateSymbolicLink(dir.Combine("pong"), "ping");
        File.CreateSymbolicLink(dir.Combine("out"), "/");                   // the whole host file system

        var entries = new BuildContextFilter([]).Walk(dir.Path).ToList();
        Assert.Equal(
            ["a", "a/b", "a/b/file", "a/b/loop", "out", "ping", "pong", "self"],
            entries.Select(e => e.Path).ToList());
        Assert.All(entries.Where(e => e.Path is "a/b/loop" or "out" or "ping" or "pong" or "self"), e => Assert.False(e.IsDirectory));
    }
}
