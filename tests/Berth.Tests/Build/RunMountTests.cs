using System.Net.Sockets;
using Berth.Engine.Build;

namespace Berth.Tests.Build;

/// <summary>
/// RUN --mount: cache, tmpfs and context binds, secrets (file and env), ssh agent sockets, binds from another
/// stage, and `rw` binds whose writes are thrown away. Nothing mounted ever lands in the step's layer.
/// </summary>
public class RunMountTests
{
    [Fact]
    public async Task Cache_mounts_persist_between_builds_and_stay_out_of_the_layer()
    {
        using var f = await BuildFixture.CreateAsync();
        f.Write("input/data.txt", "bound\n");
        f.Dockerfile("""
            FROM busybox
            RUN --mount=type=cache,target=/root/.cache --mount=type=bind,source=input,target=/mnt/input --mount=type=tmpfs,target=/scratch \
                cat /mnt/input/data.txt; ls /root/.cache; touch /root/.cache/was-here /scratch/gone; echo layer > /result
            """);
        var (first, progress) = await f.BuildAsync(new BuildOptions { NoCache = true });
        Assert.Equal(["bound"], progress.OutputLines);
        Assert.Equal(["result"], f.LayerEntries(first.ImageId, -1).Keys);
        var (_, second) = await f.BuildAsync(new BuildOptions { NoCache = true });
        Assert.Equal(["bound", "was-here"], second.OutputLines);

        // The bound files are an input of the step, like COPY's sources.
        f.Write("input/data.txt", "changed");
        var (_, third) = await f.BuildAsync();
        Assert.Equal(StepOutcome.Done, third.OutcomeOf("RUN"));
    }

    [Fact]
    public async Task Secrets_reach_the_run_as_a_file_or_a_variable_and_stay_out_of_the_image_and_the_cache_key()
    {
        using var f = await BuildFixture.CreateAsync();
        string secretFile = f.Write("../token-" + Guid.NewGuid().ToString("N"), "s3cr3t");
        try
        {
            f.Dockerfile("FROM busybox\n" +
                "RUN --mount=type=secret,id=tok cat /run/secrets/tok > /copied && stat -c %a /run/secrets/tok > /mode\n" +
                "RUN --mount=type=secret,id=tok,env=TOKEN echo \"$TOKEN\" > /env && test ! -e /run/secrets/tok\n" +
                "RUN --mount=type=secret,id=absent test ! -e /run/secrets/absent && echo skipped > /absent\n");
            var options = new BuildOptions { Secrets = new Dictionary<string, BuildSecret> { ["tok"] = new(secretFile, null) } };
            var (result, _) = await f.BuildAsync(options);
            var first = f.LayerEntries(result.ImageId, -3);
            Assert.Equal(["copied", "mode"], first.Keys.Order()); // no run/secrets mount point
            Assert.Equal("s3cr3t", BuildFixture.ReadEntry(first["copied"]));
            Assert.Equal("400\n", BuildFixture.ReadEntry(first["mode"]));
            Assert.Equal("s3cr3t\n", BuildFixture.ReadEntry(f.LayerEntries(result.ImageId, -2)["env"]));
            Assert.Equal("skipped\n", BuildFixture.ReadEntry(f.LayerEntries(result.ImageId, -1)["absent"]));
            var config = await f.ConfigAsync(result.ImageId);
            Assert.DoesNotContain(config.History!, h => h.CreatedBy?.Contains("s3cr3t") == true);
            Assert.DoesNotContain(config.Config!.Env ?? [], e => e.Contains("s3cr3t"));

            // A new secret value does not bust the cache (BuildKit's rule); a required secret that is missing fails the step.
            File.WriteAllText(secretFile, "changed");
            var (again, progress) = await f.BuildAsync(options);
            Assert.Equal(result.ImageId, again.ImageId);
            Assert.All(progress.Finished.Skip(1), s => Assert.Equal(StepOutcome.Cached, s.Outcome));
            f.Dockerfile("FROM busybox\nRUN --mount=type=secret,id=missing,required=true true\n");
            var e = await Assert.ThrowsAsync<BuildException>(() => f.BuildAsync(options));
            Assert.Contains("secret missing not found", e.Message);
            Assert.Empty(f.Leftovers());
        }
        finally { File.Delete(secretFile); }
    }

    [Fact]
    public async Task The_cli_takes_secrets_from_files_and_variables()
    {
        using var f = await BuildFixture.CreateAsync();
        string secretFile = f.Write("../cli-token-" + Guid.NewGuid().ToString("N"), "from-file");
        Environment.SetEnvironmentVariable("BERTH_TEST_SECRET", "from-env");
        try
        {
            f.Dockerfile("FROM busybox\nRUN --mount=type=secret,id=a --mount=type=secret,id=b,env=B cat /run/secrets/a > /a && echo \"$B\" > /b\n");
            var (code, stdout, stderr) = await f.Store.CliAsync("build", "-q", "--network", "none", "--secret", $"id=a,src={secretFile}",
                "--secret", "id=b,env=BERTH_TEST_SECRET", "-t", "secrets", f.Context);
            Assert.True(code == 0, stderr);
            var layer = f.LayerEntries(Berth.Engine.Content.Digest.Parse(stdout.Trim()), -1);
            Assert.Equal("from-file", BuildFixture.ReadEntry(layer["a"]));
            Assert.Equal("from-env\n", BuildFixture.ReadEntry(layer["b"]));
            var bad = await f.Store.CliAsync("build", "--secret", "src=/x", f.Context);
            Assert.NotEqual(0, bad.ExitCode);
            Assert.Contains("id= is required", bad.Stderr);
        }
        finally
        {
            File.Delete(secretFile);
            Environment.SetEnvironmentVariable("BERTH_TEST_SECRET", null);
        }
    }

    [Fact]
    public async Task Binds_from_a_stage_and_rw_binds_show_files_and_throw_writes_away()
    {
        using var f = await BuildFixture.CreateAsync();
        f.Write("ctx.txt", "context file\n");
        f.Dockerfile("FROM busybox AS tools\nRUN mkdir /out && echo built > /out/file\n" +
            "FROM busybox\n" +
            "RUN --mount=type=bind,from=tools,source=/out,target=/in cat /in/file > /got && ! touch /in/ro 2>/dev/null\n" +
            "RUN --mount=type=bind,from=tools,source=/out,target=/in,rw touch /in/scratch && ls /in > /listed\n" +
            "RUN --mount=type=bind,source=.,target=/ctx,rw echo x > /ctx/written && cat /ctx/ctx.txt > /ctx-copy\n" +
            "RUN --mount=type=bind,source=ctx.txt,target=/one.txt cat /one.txt > /one-copy\n");
        var (result, _) = await f.BuildAsync(new BuildOptions { Network = Berth.Engine.Runtime.NetworkMode.None });
        Assert.Equal(["got"], f.LayerEntries(result.ImageId, -4).Keys);
        Assert.Equal("built\n", BuildFixture.ReadEntry(f.LayerEntries(result.ImageId, -4)["got"]));
        Assert.Equal("file\nscratch\n", BuildFixture.ReadEntry(f.LayerEntries(result.ImageId, -3)["listed"]));
        Assert.Equal(["ctx-copy"], f.LayerEntries(result.ImageId, -2).Keys);
        Assert.False(File.Exists(Path.Combine(f.Context, "written")), "a rw bind of the context wrote into the user's context");
        Assert.Equal("context file\n", BuildFixture.ReadEntry(f.LayerEntries(result.ImageId, -1)["one-copy"]));

        // The stage's files are an input: changing what the stage makes reruns the step that mounts it.
        f.Dockerfile("FROM busybox AS tools\nRUN mkdir /out && echo rebuilt > /out/file\nFROM busybox\nRUN --mount=type=bind,from=tools,source=/out,target=/in cat /in/file > /got\n");
        var (changed, _) = await f.BuildAsync(new BuildOptions { Network = Berth.Engine.Runtime.NetworkMode.None });
        Assert.Equal("rebuilt\n", BuildFixture.ReadEntry(f.LayerEntries(changed.ImageId, -1)["got"]));
        Assert.Empty(f.Leftovers());
    }

    [Fact]
    public async Task An_ssh_agent_socket_is_mounted_with_SSH_AUTH_SOCK_set()
    {
        using var f = await BuildFixture.CreateAsync();
        string socketPath = Path.Combine(Path.GetTempPath(), "berth-test-agent-" + Guid.NewGuid().ToString("N")[..8] + ".sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        listener.Listen(1);
        try
        {
            f.Dockerfile("FROM busybox\nRUN --mount=type=ssh test -S \"$SSH_AUTH_SOCK\" && echo \"$SSH_AUTH_SOCK\" > /sock\n");
            var (result, _) = await f.BuildAsync(new BuildOptions { SshAgents = new Dictionary<string, string> { ["default"] = socketPath } });
            Assert.Equal(["sock"], f.LayerEntries(result.ImageId, -1).Keys);
            Assert.Equal("/run/buildkit/ssh_agent.0\n", BuildFixture.ReadEntry(f.LayerEntries(result.ImageId, -1)["sock"]));
        }
        finally { File.Delete(socketPath); }
    }
}
