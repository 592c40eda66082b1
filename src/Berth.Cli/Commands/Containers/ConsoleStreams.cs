using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Berth.Engine.Containers.Attach;
using Berth.Engine.Runtime;
using Berth.Engine.Services.Containers;

namespace Berth.Cli.Commands.Containers;

/// <summary>The CLI's stdio as streams for attaching to a container: the real console, or the writers a test passed in.</summary>
public sealed class ConsoleStreams(CommandContext context)
{
    public bool UsesConsole => ReferenceEquals(context.Out, Console.Out);

    public Stream Stdout => UsesConsole ? Console.OpenStandardOutput() : new WriterStream(context.Out);
    public Stream Stderr => ReferenceEquals(context.Error, Console.Error) ? Console.OpenStandardError() : new WriterStream(context.Error);

    /// <summary>
    /// The streams to attach. With a terminal (as Docker, only then) stdin is watched for <paramref name="detachKeys"/>:
    /// <see cref="Detacher"/> says whether they were typed and cancels its token when they are.
    /// </summary>
    public AttachStreams Attach(bool stdin, bool tty, DetachKeys? detachKeys = null)
    {
        Stream? input = stdin && UsesConsole ? OpenStandardInput() : null;
        if (input is not null && tty && detachKeys is not null) input = Detacher = new DetachKeyReader(input, detachKeys);
        return new(input, Stdout, tty ? null : Stderr);
    }

    /// <summary>
    /// stdin as raw bytes. On a terminal, Console.OpenStandardInput goes through .NET's line editor (it reads whole lines
    /// and echoes them itself), so a raw-mode session reads file descriptor 0 directly instead.
    /// </summary>
    static Stream OpenStandardInput() =>
        Console.IsInputRedirected
            ? Console.OpenStandardInput()
            : new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(0, ownsHandle: false), FileAccess.Read, bufferSize: 0);

    /// <summary>The detach-key watcher of the last <see cref="Attach"/>, if any.</summary>
    public DetachKeyReader? Detacher { get; private set; }

    /// <summary><paramref name="token"/> linked with the detach keys being typed.</summary>
    public CancellationTokenSource CancelOnDetach(CancellationToken token) =>
        CancellationTokenSource.CreateLinkedTokenSource(token, Detacher?.Detached ?? CancellationToken.None);

    /// <summary>The terminal's size when stdout is one.</summary>
    public TerminalSize? Size()
    {
        if (!UsesConsole || Console.IsOutputRedirected) return null;
        try { return new TerminalSize(Console.WindowHeight, Console.WindowWidth); }
        catch (IOException) { return null; }
    }

    /// <summary>Puts the terminal in raw mode (as `docker run -it` does) until disposed; a no-op when stdin is not a terminal.</summary>
    public IDisposable RawTerminal(bool tty)
    {
        if (!tty || !UsesConsole || Console.IsInputRedirected) return new Restore(null);
        string? saved = Stty("-g");
        Stty("raw", "-echo");
        return new Restore(saved);
    }

    /// <summary>Sends SIGWINCH size changes to a container's terminal until disposed.</summary>
    public IDisposable ForwardResize(Func<TerminalSize, Task> resize)
    {
        if (!UsesConsole) return new Restore(null);
        return PosixSignalRegistration.Create(PosixSignal.SIGWINCH, ctx =>
        {
            ctx.Cancel = true;
            if (Size() is { } s) _ = resize(s);
        });
    }

    /// <summary>
    /// Docker's sig-proxy: while a container runs attached without a terminal, SIGINT and SIGTERM sent to berth go to the
    /// container instead of ending berth (with a terminal, Ctrl-C reaches the container through the terminal itself).
    /// </summary>
    /// <param name="sigProxy">`--sig-proxy` (default true); false lets the signals end berth, the container running on.</param>
    public bool ProxiesSignals(bool tty, bool sigProxy = true) => sigProxy && !tty && UsesConsole;

    public IDisposable ForwardSignals(bool tty, Func<string, Task> send, bool sigProxy = true)
    {
        if (!ProxiesSignals(tty, sigProxy)) return new Restore(null);
        var registrations = new List<IDisposable>();
        foreach (var (signal, name) in new[] { (PosixSignal.SIGINT, "INT"), (PosixSignal.SIGTERM, "TERM") })
            registrations.Add(PosixSignalRegistration.Create(signal, ctx =>
            {
                ctx.Cancel = true;
                _ = Task.Run(async () =>
                {
                    try { await send(name); }
                    catch (Berth.Engine.BerthException) { }
                });
            }));
        return new Registrations(registrations);
    }

    sealed class Registrations(List<IDisposable> items) : IDisposable
    {
        public void Dispose() { foreach (var i in items) i.Dispose(); }
    }

    static string? Stty(params string[] args)
    {
        var psi = new ProcessStartInfo("stty") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(psi)!;
            string output = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            return p.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception) { return null; }
    }

    sealed class Restore(string? saved) : IDisposable
    {
        public void Dispose()
        {
            if (saved is not null) Stty(saved);
        }
    }

    /// <summary>A write-only stream over a TextWriter (UTF-8), for in-process callers that capture output.</summary>
    sealed class WriterStream(TextWriter writer) : Stream
    {
        readonly Decoder _decoder = Encoding.UTF8.GetDecoder();
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => writer.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count)
        {
            var chars = new char[_decoder.GetCharCount(buffer, offset, count)];
            int n = _decoder.GetChars(buffer, offset, count, chars, 0);
            lock (writer) writer.Write(chars, 0, n);
        }
    }
}
