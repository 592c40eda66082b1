using System.Runtime.CompilerServices;
using Berth.Engine.Metadata;
using Berth.Engine.Runtime;

namespace Berth.Engine.Services.Containers;

public sealed partial class ContainerService
{
    /// <summary>`exec`: runs a process in a running container; returns its exit code, or null with -d.</summary>
    public async Task<int?> ExecAsync(string nameOrId, ContainerExecRequest request, AttachStreams? streams = null, CancellationToken cancellationToken = default)
    {
        var container = Get(nameOrId);
        if (container.State.Status == ContainerStatus.Paused) throw new ConflictException($"Container {container.Id} is paused, unpause the container before exec");
        if (!container.IsRunning) throw new ConflictException($"Container {container.Id} is not running");
        if (request.Command.Count == 0) throw new InvalidInputException("No exec command specified");
        string bundle = ContainerDirectory(container.Id);
        var spec = OciBundle.Read(bundle);
        OciUser? user = null;
        if (request.User is { Length: > 0 } u)
        {
            var resolved = ContainerUser.Resolve(RootfsPath(container.Id), u);
            user = new OciUser { Uid = resolved.Uid, Gid = resolved.Gid, AdditionalGids = resolved.AdditionalGids.Count > 0 ? resolved.AdditionalGids : null };
        }
        var env = request.EnvFiles.SelectMany(RunFlagParsers.EnvFile).Concat(request.Env.SelectMany(RunFlagParsers.Env)).ToList();
        var process = OciSpecBuilder.BuildExecProcess(spec, request.Command, env, request.Tty,
            string.IsNullOrEmpty(request.WorkingDir) ? null : request.WorkingDir, user, request.Privileged);
        if (request.Tty && request.Size is { Rows: > 0, Columns: > 0 } size)
            process = process with { ConsoleSize = new OciConsoleSize((uint)size.Rows, (uint)size.Columns) };
        if (request.SessionId is { } session && !IsSessionId(session)) throw new InvalidInputException($"invalid exec session id {session}");
        try
        {
            var result = await MonitorFor(RuntimeOf(container)).ExecAsync(new ExecOptions
            {
                ContainerId = container.Id,
                BundlePath = bundle,
                Process = process,
                Detach = request.Detach,
                Stdin = request.Interactive,
                SessionId = request.SessionId,
            }, streams, cancellationToken).ConfigureAwait(false);
            return result.ExitCode;
        }
        catch (RuntimeException e)
        {
            // Docker's daemon marks every exec that could not start with 126 (its deferred cleanup overrides the 127 it
            // first sets for a missing command) and words it as containerd relays runc's error.
            throw new ContainerStartException($"OCI runtime exec failed: {RuntimeDetail(e.Message, container.Id)}: unknown", 126);
        }
    }

    /// <summary>A new exec session id, for <see cref="ContainerExecRequest.SessionId"/>.</summary>
    public static string NewExecSessionId() => Guid.NewGuid().ToString("N")[..16];

    static bool IsSessionId(string id) => id.Length is > 0 and <= 64 && id.All(char.IsAsciiLetterOrDigit);

    /// <summary>Resizes the terminal of a running `exec -t` session; a session that has ended is ignored.</summary>
    public async Task ResizeExecAsync(string nameOrId, string sessionId, TerminalSize size, CancellationToken cancellationToken = default)
    {
        var container = Get(nameOrId);
        if (!container.IsRunning || !IsSessionId(sessionId)) return;
        string control = Path.Combine(ContainerDirectory(container.Id), "exec", sessionId, "ctl");
        if (!File.Exists(control)) return;
        try
        {
            await MonitorFor(RuntimeOf(container)).ResizeAsync(control, size.Rows, size.Columns, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException) { }
    }

    /// <summary>The runtime's own words, without the monitor's "runc exec ID: " prefix.</summary>
    static string RuntimeDetail(string message, string containerId)
    {
        string marker = $" exec {containerId}: ";
        int at = message.IndexOf(marker, StringComparison.Ordinal);
        return at < 0 ? message : message[(at + marker.Length)..];
    }

    /// <summary>`logs`: the container's output lines (stdout and stderr apart); with Follow, until the container stops.</summary>
    public async IAsyncEnumerable<LogEntry> LogsAsync(string nameOrId, LogReadOptions options, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var container = Get(nameOrId);
        string id = container.Id;
        var effective = options with
        {
            StopFollowing = () => TryGet(id) is not { IsRunning: true },
        };
        if (options.Follow && !container.IsRunning) effective = effective with { Follow = false };
        await foreach (var entry in ContainerLogReader.ReadAsync(LogPath(id), effective, cancellationToken).ConfigureAwait(false))
            yield return entry;
    }
}
