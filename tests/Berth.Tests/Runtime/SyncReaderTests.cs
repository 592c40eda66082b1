using System.Net.Sockets;
using System.Text;
using Berth.Engine.Runtime;

namespace Berth.Tests.Runtime;

/// <summary>conmon's sync pipe read on the calling thread (<see cref="ConmonMonitor.SyncReader.Read"/>) and asynchronously.</summary>
public sealed class SyncReaderTests : IDisposable
{
    readonly Socket _ours;
    readonly Socket _conmon;

    public SyncReaderTests()
    {
        var (ours, theirs) = NativeProcess.CreateSocketPair();
        _ours = ours;
        _conmon = NativeProcess.AsSocket(theirs);
    }

    public void Dispose()
    {
        _ours.Dispose();
        _conmon.Dispose();
    }

    void Send(string text) => _conmon.Send(Encoding.UTF8.GetBytes(text));

    [Fact]
    public async Task Read_returns_each_message_split_across_writes_then_null_at_the_end()
    {
        using var reader = new ConmonMonitor.SyncReader(_ours);
        Send("{\"data\": 4");
        var later = Task.Run(async () =>
        {
            await Task.Delay(100);
            Send("2}\n\n{\"data\": -1, \"message\": \"no such file\"}\n");
            _conmon.Shutdown(SocketShutdown.Send);
        });
        Assert.Equal(new ConmonMonitor.SyncReader.Message(42, null), reader.Read(TimeSpan.FromSeconds(10), CancellationToken.None));
        Assert.Equal(new ConmonMonitor.SyncReader.Message(-1, "no such file"), reader.Read(TimeSpan.FromSeconds(10), CancellationToken.None));
        Assert.Null(reader.Read(TimeSpan.FromSeconds(10), CancellationToken.None));
        await later;
    }

    [Fact]
    public void Read_gives_up_after_its_timeout_with_conmons_silence_named()
    {
        using var reader = new ConmonMonitor.SyncReader(_ours);
        var waited = System.Diagnostics.Stopwatch.StartNew();
        var e = Assert.Throws<RuntimeException>(() => reader.Read(TimeSpan.FromMilliseconds(200), CancellationToken.None));
        Assert.Contains("conmon did not report", e.Message);
        Assert.InRange(waited.ElapsedMilliseconds, 190, 5000);
    }

    [Fact]
    public void Read_stops_soon_after_cancellation_and_at_once_when_cancelled_before()
    {
        using var reader = new ConmonMonitor.SyncReader(_ours);
        Assert.ThrowsAny<OperationCanceledException>(() => reader.Read(TimeSpan.FromSeconds(30), new CancellationToken(canceled: true)));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        var waited = System.Diagnostics.Stopwatch.StartNew();
        Assert.ThrowsAny<OperationCanceledException>(() => reader.Read(TimeSpan.FromSeconds(30), cancel.Token));
        Assert.InRange(waited.ElapsedMilliseconds, 90, 5000);
    }

    [Fact]
    public async Task A_reader_of_a_raw_descriptor_reads_it_in_place_then_asynchronously_and_closes_it()
    {
        var (ours, theirs) = NativeProcess.CreateSocketPairFds();
        using var conmon = NativeProcess.AsSocket(theirs);
        var reader = new ConmonMonitor.SyncReader(ours);
        conmon.Send("{\"data\": 1}\n"u8.ToArray());
        Assert.Equal(1, reader.Read(TimeSpan.FromSeconds(10), CancellationToken.None)!.Value.Data);
        conmon.Send("{\"data\": 2}\n{\"data\": 3}\n"u8.ToArray());
        Assert.Equal(2, (await reader.ReadAsync(TimeSpan.FromSeconds(10), CancellationToken.None))!.Value.Data);
        Assert.Equal(3, reader.Read(TimeSpan.FromSeconds(10), CancellationToken.None)!.Value.Data); // after the socket was made
        reader.Dispose();
        Assert.Equal(0, conmon.Receive(new byte[1])); // its descriptor is closed: the other end reads the end
    }

    [Fact]
    public async Task ReadAsync_reads_the_same_messages()
    {
        using var reader = new ConmonMonitor.SyncReader(_ours);
        Send("{\"pid\": 7}\n{\"exit_code\": 3}\n");
        _conmon.Shutdown(SocketShutdown.Send);
        Assert.Equal(7, (await reader.ReadAsync(TimeSpan.FromSeconds(10), CancellationToken.None))!.Value.Data);
        Assert.Equal(3, (await reader.ReadAsync(TimeSpan.FromSeconds(10), CancellationToken.None))!.Value.Data);
        Assert.Null(await reader.ReadAsync(TimeSpan.FromSeconds(10), CancellationToken.None));
    }
}
