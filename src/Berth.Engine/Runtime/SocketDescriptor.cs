using System.Net.Sockets;

namespace Berth.Engine.Runtime;

/// <summary>
/// A connected socket held as a raw descriptor, which it owns, until something uses it asynchronously: blocking reads of
/// the descriptor need none of .NET's socket machinery, whereas making a <see cref="System.Net.Sockets.Socket"/> starts
/// the sockets engine's thread and its asynchronous use thread-pool workers and a timer thread (~8 ms of CPU of a short
/// `run --rm` on two cores). Made into a Socket once, under a lock, so two users reaching it first from two threads never
/// make two Sockets owning one descriptor.
/// </summary>
internal sealed class SocketDescriptor : IDisposable
{
    int _fd;
    System.Net.Sockets.Socket? _socket;
    readonly Lock _gate = new();

    public SocketDescriptor(int fd) => _fd = fd;

    public SocketDescriptor(System.Net.Sockets.Socket socket)
    {
        _fd = -1;
        _socket = socket;
    }

    /// <summary>The socket for asynchronous use, made from the descriptor at the first call.</summary>
    public System.Net.Sockets.Socket Socket
    {
        get
        {
            lock (_gate)
            {
                if (_socket is null)
                {
                    _socket = NativeProcess.AsSocket(_fd);
                    _fd = -1;
                }
                return _socket;
            }
        }
    }

    /// <summary>The descriptor while no Socket was made of it (still blocking); null after.</summary>
    public int? Raw
    {
        get { lock (_gate) return _socket is null ? _fd : null; }
    }

    /// <summary>The descriptor, of the Socket if one was made (non-blocking then: a read may find nothing yet, EAGAIN).</summary>
    public int Descriptor
    {
        get { lock (_gate) return _socket is null ? _fd : (int)_socket.SafeHandle.DangerousGetHandle(); }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _socket?.Dispose();
            NativeProcess.CloseFd(_fd);
            _fd = -1;
        }
    }
}
