using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Berth.Engine.Layers.Native;

namespace Berth.Engine.Containers.Ports;

/// <summary>
/// Creates sockets inside another network namespace. Namespaces are per thread on Linux: one dedicated thread
/// joins the namespace with setns(2) and does nothing but call socket(2); a socket keeps the namespace it was
/// created in, so it can then be connected and used from any thread.
/// </summary>
public sealed partial class NetworkNamespaceSockets : IDisposable
{
    private const int CLONE_NEWNET = 0x40000000;

    private readonly BlockingCollection<(AddressFamily Family, SocketType Type, ProtocolType Protocol, TaskCompletionSource<Socket> Done)> _requests = new();
    private readonly Thread _thread;

    private NetworkNamespaceSockets(string namespacePath)
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _thread = new Thread(() => Serve(namespacePath, entered)) { IsBackground = true, Name = "netns " + namespacePath };
        _thread.Start();
        try { entered.Task.GetAwaiter().GetResult(); }
        catch { _requests.CompleteAdding(); throw; }
    }

    /// <summary>Joins the namespace at <paramref name="namespacePath"/> (e.g. /proc/PID/ns/net) on a new thread.</summary>
    /// <exception cref="BerthException">The namespace cannot be opened or joined.</exception>
    public static NetworkNamespaceSockets Enter(string namespacePath) => new(namespacePath);

    /// <summary>A new socket in the namespace.</summary>
    public Task<Socket> CreateAsync(AddressFamily family, SocketType type, ProtocolType protocol)
    {
        var done = new TaskCompletionSource<Socket>(TaskCreationOptions.RunContinuationsAsynchronously);
        try { _requests.Add((family, type, protocol, done)); }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
        {
            done.SetException(new ObjectDisposedException(nameof(NetworkNamespaceSockets)));
        }
        return done.Task;
    }

    private void Serve(string namespacePath, TaskCompletionSource entered)
    {
        int fd = PosixFileSystem.OpenAt(PosixFileSystem.AT_FDCWD, namespacePath, PosixFileSystem.O_RDONLY);
        if (fd < 0)
        {
            entered.SetException(new BerthException($"cannot open network namespace {namespacePath}: {Marshal.GetPInvokeErrorMessage(-fd)}"));
            return;
        }
        int rc = Setns(fd, CLONE_NEWNET);
        int errno = Marshal.GetLastPInvokeError();
        PosixFileSystem.Close(fd);
        if (rc != 0)
        {
            entered.SetException(new BerthException($"cannot join network namespace {namespacePath}: {Marshal.GetPInvokeErrorMessage(errno)}"));
            return;
        }
        entered.SetResult();
        foreach (var (family, type, protocol, done) in _requests.GetConsumingEnumerable())
        {
            try { done.SetResult(new Socket(family, type, protocol)); }
            catch (Exception e) { done.SetException(e); }
        }
    }

    public void Dispose()
    {
        _requests.CompleteAdding();
        _thread.Join();
        _requests.Dispose();
    }

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int Setns(int fd, int nstype);
}
