using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Berth.Engine.IO;

namespace Berth.Engine.Runtime;

/// <summary>What runc and crun share: the OCI runtime command line. Subclasses differ in flags and checks only.</summary>
public abstract class OciRuntime : IOciRuntime
{
    protected OciRuntime(string name, string binaryPath, string stateRoot)
    {
        Name = name;
        BinaryPath = binaryPath;
        StateRoot = stateRoot;
    }

    public string Name { get; }
    public string BinaryPath { get; }
    public string StateRoot { get; }
    public virtual IReadOnlyList<string> GlobalArgs => ["--root", StateRoot];

    /// <summary>Finds a program on PATH (plus the sbin directories root usually has), or null.</summary>
    public static string? FindBinary(string name)
    {
        if (Path.IsPathRooted(name)) return File.Exists(name) ? name : null;
        var dirs = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]);
        foreach (var dir in dirs)
        {
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>The runtime named "runc" or "crun" with its state under <paramref name="stateRoot"/> (default /run/berth/NAME).</summary>
    public static IOciRuntime Create(string name, string? stateRoot = null) => name switch
    {
        "runc" => new RuncRuntime(stateRoot: stateRoot),
        "crun" => new CrunRuntime(stateRoot: stateRoot),
        _ => throw new InvalidInputException($"unknown runtime \"{name}\": expected runc or crun"),
    };

    public virtual bool ReadsSpecFromFifo => false;

    public virtual bool SpecFifoNeedsEndOfFile => false;

    public virtual bool SeesLaterMountsOnlyByPropagation => false;

    public virtual void Validate(RuntimeSpec spec) { }

    private void ValidateBundle(string bundlePath)
    {
        string config = Path.Combine(bundlePath, "config.json");
        if (!File.Exists(config))
            throw new RuntimeException($"{Name}: no config.json in bundle {bundlePath}");
        Validate(RuntimeSpec.FromJson(File.ReadAllText(config)));
    }

    public async Task CreateAsync(string id, string bundlePath, string? pidFile = null, string? consoleSocket = null, CancellationToken cancellationToken = default)
    {
        ValidateBundle(bundlePath);
        var args = new List<string> { "create", "--bundle", bundlePath };
        if (pidFile is not null) args.AddRange(["--pid-file", pidFile]);
        if (consoleSocket is not null) args.AddRange(["--console-socket", consoleSocket]);
        args.Add(id);
        // The created container keeps our stdio: hand it /dev/null rather than pipes we would wait on forever.
        await InvokeAsync(args, cancellationToken: cancellationToken, discardOutput: true).ConfigureAwait(false);
    }

    public virtual Task StartAsync(string id, int initPid = 0, CancellationToken cancellationToken = default) =>
        InvokeSpawnedAsync(["start", id], check: true, cancellationToken);

    public async Task<int> RunAsync(string id, string bundlePath, Stream? stdout = null, Stream? stderr = null, CancellationToken cancellationToken = default)
    {
        ValidateBundle(bundlePath);
        var errors = new MemoryStream();
        var result = await InvokeAsync(["run", "--bundle", bundlePath, id], check: false, cancellationToken: cancellationToken,
            stdout: stdout ?? Stream.Null, stderr: new TeeStream(errors, stderr)).ConfigureAwait(false);
        var state = await StateAsync(id, cancellationToken).ConfigureAwait(false);
        // runc run exits with the container's code; if the container never existed the failure is the runtime's own.
        if (result.ExitCode != 0 && state is null && !Directory.Exists(Path.Combine(StateRoot, id)) && LooksLikeRuntimeError(errors))
            throw Failure(["run", id], result.ExitCode, Encoding.UTF8.GetString(errors.ToArray()));
        return result.ExitCode;
    }

    private static bool LooksLikeRuntimeError(MemoryStream errors)
    {
        string text = Encoding.UTF8.GetString(errors.ToArray());
        return text.Contains("\"level\":\"error\"", StringComparison.Ordinal) || text.Contains("level=error", StringComparison.Ordinal)
            || text.StartsWith("crun:", StringComparison.Ordinal) || text.Contains("\ncrun:", StringComparison.Ordinal);
    }

    public async Task<OciState?> StateAsync(string id, CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(Path.Combine(StateRoot, id))) return null;
        var result = await InvokeAsync(["state", id], check: false, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            if (!Directory.Exists(Path.Combine(StateRoot, id))) return null;
            throw Failure(["state", id], result.ExitCode, result.Stderr);
        }
        return JsonSerializer.Deserialize(result.Stdout, RuntimeSpecJsonContext.Default.OciState);
    }

    public async Task<IReadOnlyList<OciState>> ListAsync(CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(StateRoot)) return [];
        var states = new List<OciState>();
        foreach (var dir in Directory.EnumerateDirectories(StateRoot))
        {
            var state = await StateAsync(Path.GetFileName(dir), cancellationToken).ConfigureAwait(false);
            if (state is not null) states.Add(state);
        }
        return states;
    }

    public Task KillAsync(string id, string signal = "TERM", bool all = false, CancellationToken cancellationToken = default)
    {
        var args = new List<string> { "kill" };
        if (all) args.Add("--all");
        args.AddRange([id, signal]);
        return InvokeSpawnedAsync(args, check: true, cancellationToken);
    }

    public async Task DeleteAsync(string id, bool force = false, CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(Path.Combine(StateRoot, id))) return;
        var args = new List<string> { "delete" };
        if (force) args.Add("--force");
        args.Add(id);
        var result = await InvokeSpawnedAsync(args, check: false, cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0 && Directory.Exists(Path.Combine(StateRoot, id)))
            throw Failure(args, result.ExitCode, result.Stderr);
    }

    public virtual bool TryDeleteStopped(string id, IEnumerable<string> cgroupDirectories) => false;

    /// <summary>The binary's full argument vector for <paramref name="args"/>: path, global options, then the command.</summary>
    private List<string> CommandLine(IReadOnlyList<string> args) => [BinaryPath, .. GlobalArgs, .. args];

    public Task PauseAsync(string id, CancellationToken cancellationToken = default) =>
        InvokeAsync(["pause", id], cancellationToken: cancellationToken);

    public Task ResumeAsync(string id, CancellationToken cancellationToken = default) =>
        InvokeAsync(["resume", id], cancellationToken: cancellationToken);

    public async Task<RuntimeResult> ExecAsync(string id, OciProcess process, bool detach = false, string? pidFile = null, CancellationToken cancellationToken = default)
    {
        string processFile = Path.Combine(Path.GetTempPath(), $"berth-exec-{id}-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(processFile, process.ToJson(), cancellationToken).ConfigureAwait(false);
        try
        {
            var args = new List<string> { "exec", "--process", processFile };
            if (detach) args.Add("--detach");
            if (pidFile is not null) args.AddRange(["--pid-file", pidFile]);
            args.Add(id);
            var result = await InvokeAsync(args, check: false, cancellationToken: cancellationToken, discardOutput: detach).ConfigureAwait(false);
            if (result.ExitCode != 0 && (detach || LooksLikeRuntimeError(new MemoryStream(Encoding.UTF8.GetBytes(result.Stderr)))))
                throw Failure(args, result.ExitCode, result.Stderr);
            return result;
        }
        finally
        {
            File.Delete(processFile);
        }
    }

    public async Task<IReadOnlyList<int>> PsAsync(string id, CancellationToken cancellationToken = default)
    {
        var result = await InvokeAsync(["ps", "--format", "json", id], cancellationToken: cancellationToken).ConfigureAwait(false);
        string text = result.Stdout.Trim();
        if (text is "" or "null") return [];
        return JsonSerializer.Deserialize(text, RuntimeSpecJsonContext.Default.ListInt32) ?? [];
    }

    public async Task UpdateAsync(string id, OciResources resources, CancellationToken cancellationToken = default)
    {
        Validate(new RuntimeSpec { Linux = new OciLinux { Resources = resources } });
        string file = Path.Combine(Path.GetTempPath(), $"berth-update-{id}-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, resources.ToJson(), cancellationToken).ConfigureAwait(false);
        try
        {
            await InvokeAsync(["update", "--resources", file, id], cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>
    /// Runs the binary for its exit status only (start, kill, delete): its output goes to a file read only when it fails.
    /// Started with posix_spawn, which shares our memory until the exec, where Process.Start forks the whole (25 MB
    /// mapped) berth process first: 1-2 ms on the calling thread, measured on `run --rm`'s removal.
    /// </summary>
    protected async Task<RuntimeResult> InvokeSpawnedAsync(IReadOnlyList<string> args, bool check, CancellationToken cancellationToken)
    {
        string outputFile = Path.Combine(Path.GetTempPath(), $"berth-{Name}-{Guid.NewGuid():N}.out");
        try
        {
            int pid;
            try
            {
                pid = NativeProcess.Spawn(BinaryPath, CommandLine(args), NativeProcess.CurrentEnvironment(), [], outputFile);
            }
            catch (RuntimeException e)
            {
                throw new RuntimeException($"cannot run {BinaryPath}: {e.Message}", e);
            }
            // waitpid cannot be cancelled; the runtime's commands here end by themselves.
            int code = await Task.Run(() => NativeProcess.WaitForExit(pid), CancellationToken.None).ConfigureAwait(false);
            string output = code == 0 ? "" : await File.ReadAllTextAsync(outputFile, CancellationToken.None).ConfigureAwait(false);
            if (check && code != 0) throw Failure(args, code, output);
            cancellationToken.ThrowIfCancellationRequested();
            return new RuntimeResult(code, "", output);
        }
        finally
        {
            File.Delete(outputFile);
        }
    }

    /// <summary>Runs the binary with <see cref="GlobalArgs"/> + <paramref name="args"/>; throws a one-line <see cref="RuntimeException"/> on failure when <paramref name="check"/>.</summary>
    /// <param name="discardOutput">
    /// For commands that leave a container process behind (create, exec --detach): that process inherits the runtime's
    /// stdio, so it gets /dev/null and a file for stderr instead of pipes we would wait on until the container exits.
    /// </param>
    protected async Task<RuntimeResult> InvokeAsync(IReadOnlyList<string> args, bool check = true, CancellationToken cancellationToken = default,
        Stream? stdout = null, Stream? stderr = null, bool discardOutput = false)
    {
        string? errFile = discardOutput ? Path.Combine(Path.GetTempPath(), $"berth-{Name}-{Guid.NewGuid():N}.err") : null;
        var psi = new ProcessStartInfo(errFile is null ? BinaryPath : "/bin/sh")
        {
            RedirectStandardInput = errFile is null,
            RedirectStandardOutput = errFile is null,
            RedirectStandardError = errFile is null,
            UseShellExecute = false,
        };
        if (errFile is not null)
        {
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add("f=$1; shift; exec \"$@\" </dev/null >/dev/null 2>\"$f\"");
            psi.ArgumentList.Add("sh");
            psi.ArgumentList.Add(errFile);
            psi.ArgumentList.Add(BinaryPath);
        }
        foreach (var a in GlobalArgs) psi.ArgumentList.Add(a);
        foreach (var a in args) psi.ArgumentList.Add(a);

        using var process = new Process { StartInfo = psi };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new RuntimeException($"cannot run {BinaryPath}: {e.Message}", e);
        }

        var outBuffer = new MemoryStream();
        var errBuffer = new MemoryStream();
        Task outTask = Task.CompletedTask, errTask = Task.CompletedTask;
        if (errFile is null)
        {
            process.StandardInput.Close();
            outTask = process.StandardOutput.BaseStream.CopyToAsync(stdout ?? outBuffer, cancellationToken);
            errTask = process.StandardError.BaseStream.CopyToAsync(stderr is null ? errBuffer : new TeeStream(errBuffer, stderr), cancellationToken);
        }
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            await Task.WhenAll(outTask, errTask).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            throw;
        }

        string errText = Encoding.UTF8.GetString(errBuffer.ToArray());
        if (errFile is not null)
        {
            try { errText = await File.ReadAllTextAsync(errFile, cancellationToken).ConfigureAwait(false); }
            catch (FileNotFoundException) { }
            finally { File.Delete(errFile); }
        }
        var result = new RuntimeResult(process.ExitCode, Encoding.UTF8.GetString(outBuffer.ToArray()), errText);
        if (check && result.ExitCode != 0)
            throw Failure(args, result.ExitCode, result.Stderr);
        return result;
    }

    /// <summary>A one-line error: "runc start ID: the runtime's message".</summary>
    protected RuntimeException Failure(IReadOnlyList<string> args, int exitCode, string stderr)
    {
        string command = args.Count > 0 ? args[0] : "";
        // The container id is the first argument after the command's options (kill and exec put more after it).
        string id = command == "kill" ? args[^2] : args.Count > 1 ? args[^1] : "";
        string message = ErrorMessage(stderr);
        if (message.Length == 0) message = $"exit status {exitCode}";
        return new RuntimeException($"{Name} {command} {id}: {message}".Replace("  ", " ", StringComparison.Ordinal));
    }

    /// <summary>The last error the runtime printed, from JSON log lines, logrus text lines or plain text, on one line.</summary>
    public static string ErrorMessage(string stderr)
    {
        string? best = null;
        foreach (var raw in stderr.Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length == 0) continue;
            if (line.StartsWith('{'))
            {
                try
                {
                    using var doc = JsonDocument.Parse(line);
                    var root = doc.RootElement;
                    string level = root.TryGetProperty("level", out var l) ? l.GetString() ?? "" : "error";
                    if (root.TryGetProperty("msg", out var msg) && level is "error" or "fatal" or "")
                        best = msg.GetString();
                    continue;
                }
                catch (JsonException) { }
            }
            int m = line.IndexOf("msg=\"", StringComparison.Ordinal);
            if (m >= 0 && line.Contains("level=", StringComparison.Ordinal))
            {
                if (line.Contains("level=error", StringComparison.Ordinal) || line.Contains("level=fatal", StringComparison.Ordinal))
                    best = line[(m + 5)..].TrimEnd('"').Replace("\\\"", "\"", StringComparison.Ordinal);
                continue;
            }
            best = line;
        }
        if (best is null) return "";
        if (best.StartsWith("crun: ", StringComparison.Ordinal)) best = best[6..];
        return best.Replace('\n', ' ').Replace('\r', ' ').Trim();
    }

    /// <summary>Writes to two streams (the second may be null).</summary>
    private sealed class TeeStream(Stream first, Stream? second) : ForwardWriteStream
    {
        public override void Flush() { first.Flush(); second?.Flush(); }
        public override void Write(byte[] buffer, int offset, int count)
        {
            first.Write(buffer, offset, count);
            second?.Write(buffer, offset, count);
        }
        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await first.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (second is not null) await second.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
    }
}
