using Berth.Engine.Build;

namespace Berth.Tests.Build;

public class InstructionTests
{
    [Fact]
    public async Task Config_instructions_become_empty_layer_history_entries_with_Dockers_text()
    {
        using var f = await BuildFixture.CreateAsync();
        f.Dockerfile("""
            FROM busybox
            ARG PORT=5353
            ENV APP=demo PATH=/app/bin:$PATH
            LABEL org.example.name=$APP
            EXPOSE 80/tcp ${PORT}/udp
            USER app
            VOLUME /data
            STOPSIGNAL SIGTERM
            HEALTHCHECK --interval=10s --retries=3 CMD wget -q localhost
            SHELL ["/bin/sh", "-ec"]
            ONBUILD RUN echo triggered
            ENTRYPOINT ["/bin/sh"]
            CMD echo hi
            """);
        var (result, _) = await f.BuildAsync(new BuildOptions { Tags = ["demo:1"] });
        var config = await f.ConfigAsync(result.ImageId);
        var run = config.Config!;
        Assert.Equal(["PATH=/app/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "APP=demo"], run.Env);
        Assert.Equal("demo", run.Labels!["org.example.name"]);
        Assert.Equal(["5353/udp", "80/tcp"], run.ExposedPorts!.Keys);
        Assert.Equal("app", run.User);
        Assert.Equal(["/data"], run.Volumes!.Keys);
        Assert.Equal("SIGTERM", run.StopSignal);
        Assert.Equal(["CMD-SHELL", "wget -q localhost"], run.Healthcheck!.Test);
        Assert.Equal(["/bin/sh", "-ec"], run.Shell);
        Assert.Equal(["RUN echo triggered"], run.OnBuild);
        Assert.Equal(["/bin/sh"], run.Entrypoint);
        Assert.Equal(["/bin/sh", "-ec", "echo hi"], run.Cmd);
        Assert.Single(config.RootFs.DiffIds); // only busybox's layer

        var history = config.History!.Skip(1).ToList();
        Assert.All(history, h => Assert.True(h.EmptyLayer));
        Assert.Equal([
            "/bin/sh -c #(nop)  ARG PORT=5353",
            "/bin/sh -c #(nop)  ENV APP=demo PATH=/app/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "/bin/sh -c #(nop)  LABEL org.example.name=demo",
            "/bin/sh -c #(nop)  EXPOSE 5353/udp 80/tcp",
            "/bin/sh -c #(nop)  USER app",
            "/bin/sh -c #(nop)  VOLUME [/data]",
            "/bin/sh -c #(nop)  STOPSIGNAL SIGTERM",
            "/bin/sh -c #(nop)  HEALTHCHECK &{[\"CMD-SHELL\" \"wget -q localhost\"] \"10s\" \"0s\" \"0s\" '\\x03'}",
            "/bin/sh -ec #(nop)  SHELL [/bin/sh -ec]", // Docker 20.10 records SHELL with the new shell (DockerParityTests)
            "/bin/sh -ec #(nop)  ONBUILD RUN echo triggered",
            "/bin/sh -ec #(nop)  ENTRYPOINT [\"/bin/sh\"]",
            "/bin/sh -ec #(nop)  CMD [\"/bin/sh\" \"-ec\" \"echo hi\"]",
        ], history.Select(h => h.CreatedBy));

        var rows = await f.Store.Engine.Images.HistoryAsync("demo:1");
        Assert.Equal(result.ImageId, rows[0].Image);
    }

    [Fact]
    public async Task Run_commits_its_changes_as_a_layer_and_records_used_build_args()
    {
        using var f = await BuildFixture.CreateAsync();
        f.Dockerfile("""
            FROM busybox
            ARG GREETING=hello
            ARG UNUSED
            ENV WHO=world
            RUN echo "$GREETING $WHO" > /greeting && echo "said $GREETING"
            RUN true
            RUN ["/bin/sh", "-c", "echo exec form > /exec"]
            """);
        var (result, progress) = await f.BuildAsync(new BuildOptions { BuildArgs = new Dictionary<string, string> { ["GREETING"] = "hi" } });
        Assert.Contains("said hi", progress.OutputLines);
        var config = await f.ConfigAsync(result.ImageId);
        var history = config.History!;
        Assert.Equal("|1 GREETING=hi /bin/sh -c echo \"$GREETING $WHO\" > /greeting && echo \"said $GREETING\"", history[^3].CreatedBy);
        Assert.Null(history[^3].EmptyLayer);
        Assert.True(history[^2].EmptyLayer); // RUN true changes nothing: no layer
        Assert.Equal("|1 GREETING=hi /bin/sh -c echo exec form > /exec", history[^1].CreatedBy);
        Assert.Equal(3, config.RootFs.DiffIds.Count);
        var layer = f.LayerEntries(result.ImageId, -2);
        Assert.Equal(["greeting"], layer.Keys); // no /etc/hosts, /proc or /dev mount points leak into the layer
        Assert.Equal("hi world\n", BuildFixture.ReadEntry(layer["greeting"]));
    }

    [Fact]
    public async Task Run_heredocs_run_as_a_script_an_executable_file_or_fed_to_the_shell_as_BuildKit_does()
    {
        using var f = await BuildFixture.CreateAsync();
        f.Dockerfile("FROM busybox\nENV WHO=world\n" +
            "RUN <<EOF\necho plain > /plain\nEOF\n" +
            "RUN cat <<EOT > /fed && cat <<-'RAW' > /raw\nfed $WHO\nEOT\n\tliteral $WHO\n\tRAW\n" +
            "RUN <<EOF\n#!/bin/sh -e\necho \"script $0\" > /script\nEOF\n");
        var (result, _) = await f.BuildAsync();
        Assert.Equal("plain\n", BuildFixture.ReadEntry(f.LayerEntries(result.ImageId, -3)["plain"]));
        var fed = f.LayerEntries(result.ImageId, -2);
        Assert.Equal("fed world\n", BuildFixture.ReadEntry(fed["fed"]));
        Assert.Equal("literal $WHO\n", BuildFixture.ReadEntry(fed["raw"]));
        var script = f.LayerEntries(result.ImageId, -1);
        Assert.Equal(["script"], script.Keys); // the script file is bound over /dev, never part of the layer
        Assert.Equal("script /dev/pipes/EOF\n", BuildFixture.ReadEntry(script["script"]));
        var history = (await f.ConfigAsync(result.ImageId)).History!;
        Assert.Equal("/bin/sh -c /dev/pipes/EOF", history[^1].CreatedBy);
        Assert.Equal("/bin/sh -c cat <<EOT > /fed && cat <<-'RAW' > /raw\nfed $WHO\nEOT\n\tliteral $WHO\nRAW", history[^2].CreatedBy);

        // The script's body is part of the step's cache key.
        f.Dockerfile("FROM busybox\nENV WHO=world\nRUN <<EOF\n#!/bin/sh -e\necho \"changed $0\" > /script\nEOF\n");
        var (changed, _) = await f.BuildAsync();
        Assert.Equal("changed /dev/pipes/EOF\n", BuildFixture.ReadEntry(f.LayerEntries(changed.ImageId, -1)["script"]));
    }

    [Fact]
    public async Task Run_honours_user_workdir_and_shell()
    {
        using var f = await BuildFixture.CreateAsync();
        f.Dockerfile("""
            FROM busybox
            WORKDIR /work/dir
            USER app
            RUN id -u > /tmp/uid; pwd > /tmp/pwd; echo "uid=$(id -u) gid=$(id -g) pwd=$(pwd)"
            USER root
            SHELL ["/bin/sh", "-xc"]
            RUN echo shell-set
            """);
        var (result, progress) = await f.BuildAsync();
        Assert.Contains("uid=1000 gid=1000 pwd=/work/dir", progress.OutputLines);
        Assert.Contains("+ echo shell-set", progress.OutputLines);
        var config = await f.ConfigAsync(result.ImageId);
        Assert.Equal("/bin/sh -xc echo shell-set", config.History![^1].CreatedBy);
    }

    [Fact]
    public async Task Workdir_is_a_layer_only_when_it_creates_the_directory()
    {
        using var f = await BuildFixture.CreateAsync();
        f.Dockerfile("FROM busybox\nWORKDIR /tmp\nWORKDIR /srv/app\nWORKDIR sub\n");
        var (result, _) = await f.BuildAsync();
        var config = await f.ConfigAsync(result.ImageId);
        var history = config.History!;
        Assert.Equal("/bin/sh -c #(nop) WORKDIR /tmp", history[1].CreatedBy);
        Assert.True(history[1].EmptyLayer);
        Assert.Equal("/bin/sh -c #(nop) WORKDIR /srv/app", history[2].CreatedBy);
        Assert.Null(history[2].EmptyLayer);
        Assert.Equal("/bin/sh -c #(nop) WORKDIR /srv/app/sub", history[3].CreatedBy);
        Assert.Equal("/srv/app/sub", config.Config!.WorkingDir);
        Assert.Equal(["srv/", "srv/app/"], f.LayerEntries(result.ImageId, 1).Keys.Order());
    }

    [Fact]
    public async Task From_scratch_gets_the_default_path_and_copies_make_the_only_layers()
    {
        using var f = await BuildFixture.CreateAsync();
        f.Write("hello.txt", "hello\n");
        f.Dockerfile("FROM scratch\nCOPY hello.txt /\n");
        var (result, _) = await f.BuildAsync();
        var config = await f.ConfigAsync(result.ImageId);
        Assert.Equal(["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], config.Config!.Env);
        Assert.Single(config.RootFs.DiffIds);
        Assert.Equal(["hello.txt"], f.LayerEntries(result.ImageId, 0).Keys);
        Assert.Null(f.Store.Engine.Store.Metadata.GetImage(result.ImageId)!.Parent);
    }

    [Fact]
    public async Task Entrypoint_resets_an_inherited_cmd()
    {
        using var f = await BuildFixture.CreateAsync();
        f.Dockerfile("FROM busybox\nCMD [\"sh\"]\n");
        await f.BuildAsync(new BuildOptions { Tags = ["base:1"] });
        f.Dockerfile("FROM base:1\nENTRYPOINT [\"top\"]\n");
        var (child, _) = await f.BuildAsync();
        Assert.Null((await f.ConfigAsync(child.ImageId)).Config!.Cmd);
        f.Dockerfile("FROM base:1\nCMD [\"-b\"]\nENTRYPOINT [\"top\"]\n");
        var (both, _) = await f.BuildAsync();
        Assert.Equal(["-b"], (await f.ConfigAsync(both.ImageId)).Config!.Cmd);
    }

    [Fact]
    public async Task Onbuild_triggers_of_the_base_run_right_after_from()
    {
        using var f = await BuildFixture.CreateAsync();
        f.Dockerfile("FROM busybox\nONBUILD RUN echo triggered > /onbuild\n");
        await f.BuildAsync(new BuildOptions { Tags = ["base:onbuild"] });
        f.Dockerfile("FROM base:onbuild\nENV X=1\n");
        var (result, _) = await f.BuildAsync();
        var config = await f.ConfigAsync(result.ImageId);
        Assert.Null(config.Config!.OnBuild);
        var history = config.History!.Select(h => h.CreatedBy).ToList();
        Assert.Equal("/bin/sh -c echo triggered > /onbuild", history[^2]);
        Assert.Equal("/bin/sh -c #(nop)  ENV X=1", history[^1]);
        Assert.Equal(["onbuild"], f.LayerEntries(result.ImageId, -1).Keys);
    }

    [Fact]
    public async Task Labels_from_the_command_line_are_a_last_label_step()
    {
        using var f = await BuildFixture.CreateAsync();
        f.Dockerfile("FROM busybox\n");
        var (result, _) = await f.BuildAsync(new BuildOptions { Labels = new Dictionary<string, string> { ["b"] = "2", ["a"] = "1" } });
        var config = await f.ConfigAsync(result.ImageId);
        Assert.Equal("1", config.Config!.Labels!["a"]);
        Assert.Equal("/bin/sh -c #(nop)  LABEL a=1 b=2", config.History![^1].CreatedBy);
    }
}
