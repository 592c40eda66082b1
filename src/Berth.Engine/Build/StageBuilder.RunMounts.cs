using Berth.Engine.Containers;
using Berth.Engine.Dockerfile.Instructions;
using Berth.Engine.Runtime;
using static Berth.Engine.Layers.Native.PosixFileSystem;

namespace Berth.Engine.Build;

/// <summary>What a RUN's <c>--mount</c> flags need while it runs: binds, tmpfs mounts, variables, and what to undo after.</summary>
sealed class RunMountSet : IDisposable
{
    public List<BindMount> Binds { get; } = [];
    public List<TmpfsMount> Tmpfs { get; } = [];
    /// <summary>Mount points to make in the step's init layer (so they never show in its layer): directories and files.</summary>
    public List<string> DirectoryTargets { get; } = [];
    public List<string> FileTargets { get; } = [];
    /// <summary><c>NAME=value</c> for the RUN's environment only (secrets with <c>env=</c>, <c>SSH_AUTH_SOCK</c>).</summary>
    public List<string> Env { get; } = [];
    public List<IDisposable> Owned { get; } = [];

    public void AddBind(string source, string target, bool readOnly)
    {
        Binds.Add(new BindMount(source, target, ReadOnly: readOnly));
        (Directory.Exists(source) ? DirectoryTargets : FileTargets).Add(target);
    }

    public void Dispose()
    {
        for (int i = Owned.Count - 1; i >= 0; i--) Owned[i].Dispose();
    }
}

public sealed partial class StageBuilder
{
    /// <summary>
    /// <c>RUN --mount</c> as BuildKit does it: <c>type=cache</c> is a directory kept in the store per id (or target) across
    /// builds; <c>type=tmpfs</c> a tmpfs; <c>type=bind</c> a view of the context, or with <c>from=</c> of a stage or image,
    /// read-only unless <c>rw</c> (whose writes are thrown away); <c>type=secret</c> a file (default
    /// <c>/run/secrets/ID</c>, mode 0400) or with <c>env=</c> a variable, from <c>build --secret</c>; <c>type=ssh</c> the
    /// socket of <c>build --ssh</c> with <c>SSH_AUTH_SOCK</c> set. Secrets and sockets are not part of the cache key, as in
    /// BuildKit; a missing one fails the step only when <c>required</c>.
    /// </summary>
    RunMountSet RunMounts(RunInstruction run, IReadOnlyList<BuildState?> sources)
    {
        var set = new RunMountSet();
        try
        {
            int sshCount = 0;
            for (int index = 0; index < run.Mounts.Count; index++)
            {
                var mount = run.Mounts[index];
                string? target = mount.Target is { } t ? Absolute(Expand(t)) : null;
                switch (mount.Type)
                {
                    case MountType.Cache:
                        if (mount.From is not null) throw new BuildException($"RUN --mount={mount.Raw}: a cache mount from another stage or image is not supported yet");
                        if (target is null) throw new BuildException("RUN --mount needs a target");
                        string id = mount.Id is { } i ? Expand(i) : target;
                        string dir = Path.Combine(CacheMountsDirectory(session.Store), Content.Digest.Of(id).Hex);
                        if (!Directory.Exists(dir))
                        {
                            Directory.CreateDirectory(dir);
                            File.SetUnixFileMode(dir, (UnixFileMode)(mount.Mode ?? 0x1ED));
                            LchownAt(AT_FDCWD, dir, (int)(mount.Uid ?? 0), (int)(mount.Gid ?? 0));
                        }
                        set.AddBind(dir, target, readOnly: false);
                        break;
                    case MountType.Tmpfs:
                        if (target is null) throw new BuildException("RUN --mount needs a target");
                        set.Tmpfs.Add(new TmpfsMount(target, mount.SizeBytes is { } size ? [$"size={size}"] : null));
                        set.DirectoryTargets.Add(target);
                        break;
                    case MountType.Bind:
                        if (target is null) throw new BuildException("RUN --mount needs a target");
                        AddBindMount(set, mount, target, sources[index]);
                        break;
                    case MountType.Secret:
                        AddSecretMount(set, mount, target);
                        break;
                    case MountType.Ssh:
                        AddSshMount(set, mount, target, sshCount++);
                        break;
                    default:
                        throw new BuildException($"RUN --mount={mount.Raw} is not supported yet");
                }
            }
            return set;
        }
        catch
        {
            set.Dispose();
            throw;
        }
    }

    string Absolute(string target) =>
        target.StartsWith('/') ? RootfsPath.Clean(target) : RootfsPath.Clean((_state.Run.WorkingDir.Length == 0 ? "/" : _state.Run.WorkingDir) + "/" + target);

    void AddBindMount(RunMountSet set, RunMount mount, string target, BuildState? from)
    {
        string subPath = "/" + (mount.Source is { } src ? Expand(src) : "");
        string source;
        if (from is not null)
        {
            var view = SourceView.Of(session.Store, from, writable: !mount.ReadOnly);
            set.Owned.Add(view);
            source = RootfsPath.Resolve(view.Root, subPath);
        }
        else
        {
            if (session.Context.Root is null) throw new BuildException("RUN --mount=type=bind needs a build context");
            source = RootfsPath.Resolve(session.Context.Root, subPath);
            if (!mount.ReadOnly)
            {
                // `rw` lets the RUN write, but what it writes is thrown away: never into the user's context.
                if (Directory.Exists(source))
                {
                    var view = SourceView.Over(session.Store, [source], writable: true);
                    set.Owned.Add(view);
                    source = view.Root;
                }
                else if (File.Exists(source))
                {
                    string copy = Path.Combine(OwnedScratch(set), "bind-" + set.Binds.Count);
                    File.Copy(source, copy);
                    source = copy;
                }
            }
        }
        if (!Directory.Exists(source) && !File.Exists(source))
            throw new BuildException($"RUN --mount={mount.Raw}: {subPath} not found");
        set.AddBind(source, target, mount.ReadOnly);
    }

    void AddSecretMount(RunMountSet set, RunMount mount, string? target)
    {
        string id = mount.Id is { } i ? Expand(i) : mount.Source is { } s ? Expand(s) : Path.GetFileName(target ?? "");
        if (!session.Options.Secrets.TryGetValue(id, out var secret))
        {
            if (mount.Required) throw new BuildException($"secret {id} not found: pass it with --secret id={id},src=FILE (or env=VARIABLE)");
            return;
        }
        byte[] value = secret.Read(id);
        if (mount.Env is { } name)
        {
            set.Env.Add(Expand(name) + "=" + System.Text.Encoding.UTF8.GetString(value));
            if (target is null) return;
        }
        target ??= "/run/secrets/" + id;
        string file = Path.Combine(OwnedScratch(set), "secret-" + set.Binds.Count);
        File.WriteAllBytes(file, value);
        File.SetUnixFileMode(file, (UnixFileMode)(mount.Mode ?? 0x100));
        LchownAt(AT_FDCWD, file, (int)(mount.Uid ?? 0), (int)(mount.Gid ?? 0));
        set.AddBind(file, target, readOnly: true);
    }

    void AddSshMount(RunMountSet set, RunMount mount, string? target, int number)
    {
        string id = mount.Id is { } i ? Expand(i) : "default";
        if (!session.Options.SshAgents.TryGetValue(id, out var socket))
        {
            if (mount.Required) throw new BuildException($"no SSH key {id} forwarded: pass it with --ssh {id}[=SOCKET]");
            return;
        }
        target ??= $"/run/buildkit/ssh_agent.{number}";
        set.AddBind(socket, target, readOnly: false);
        if (number == 0) set.Env.Add("SSH_AUTH_SOCK=" + target);
    }

    /// <summary>A temporary directory owned by <paramref name="set"/> (secrets, copies of rw-bound files), removed with it.</summary>
    string OwnedScratch(RunMountSet set)
    {
        if (set.Owned.OfType<ScratchDirectory>().FirstOrDefault() is { } existing) return existing.Path;
        var scratch = new ScratchDirectory(session.Store);
        set.Owned.Add(scratch);
        return scratch.Path;
    }

    sealed class ScratchDirectory(Store.BerthStore store) : IDisposable
    {
        readonly string _directory = store.Snapshots.PrepareTemporary();
        public string Path => _directory;
        public void Dispose() => store.Snapshots.Discard(_directory);
    }
}
