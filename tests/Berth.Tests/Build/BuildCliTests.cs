namespace Berth.Tests.Build;

public class BuildCliTests
{
    [Fact]
    public async Task Plain_output_reads_like_Dockers_legacy_builder()
    {
        using var f = await BuildFixture.CreateAsync();
        f.Dockerfile("FROM busybox\nRUN echo hello\nCMD [\"sh\"]\n");
        var (code, stdout, stderr) = await f.Store.CliAsync("build", "-t", "demo:1", "-t", "demo:2", f.Context);
        Assert.True(code == 0, stderr);
        var lines = stdout.Split('\n');
        Assert.Equal("Step 1/3 : FROM busybox", lines[0]);
        Assert.Equal($" ---> {f.Busybox.Short}", lines[1]);
        Assert.Equal("Step 2/3 : RUN echo hello", lines[2]);
        Assert.Matches(@"^ ---> Running in [0-9a-f]{12}$", lines[3]);
        Assert.Equal("hello", lines[4]);
        Assert.Matches(@"^Removing intermediate container [0-9a-f]{12}$", lines[5]);
        Assert.Matches(@"^ ---> [0-9a-f]{12}$", lines[6]);
        Assert.Equal("Step 3/3 : CMD [\"sh\"]", lines[7]);
        var id = f.Store.Engine.Images.Resolve("demo:1");
        Assert.Contains($"Successfully built {id.Short}\nSuccessfully tagged demo:1\nSuccessfully tagged demo:2\n", stdout);

        (code, stdout, _) = await f.Store.CliAsync("build", "-t", "demo:1", f.Context);
        Assert.Equal(0, code);
        Assert.Contains("Step 2/3 : RUN echo hello\n ---> Using cache\n", stdout);
    }

    [Fact]
    public async Task Quiet_prints_only_the_id_and_iidfile_gets_it_too()
    {
        using var f = await BuildFixture.CreateAsync();
        f.Dockerfile("FROM busybox\nENV A=1\n");
        string iid = Path.Combine(f.Context, "..", Path.GetFileName(f.Context) + ".iid");
        try
        {
            var (code, stdout, _) = await f.Store.CliAsync("build", "-q", "--iidfile", iid, f.Context);
            Assert.Equal(0, code);
            Assert.Matches(@"^sha256:[0-9a-f]{64}\n$", stdout);
            Assert.Equal(stdout.Trim(), File.ReadAllText(iid));
        }
        finally { File.Delete(iid); }
    }

    [Fact]
    public async Task Explain_cache_says_why_each_step_ran()
    {
        using var f = await BuildFixture.CreateAsync();
        f.Write("a", "1");
        f.Dockerfile("FROM busybox\nCOPY a /a\n");
        await f.Store.CliAsync("build", f.Context);
        f.Write("a", "2");
        var (code, stdout, _) = await f.Store.CliAsync("build", "--explain-cache", f.Context);
        Assert.Equal(0, code);
        Assert.Contains("Step 2/2 : COPY a /a\n ---> Cache miss: source file a changed\n", stdout);
    }
}
