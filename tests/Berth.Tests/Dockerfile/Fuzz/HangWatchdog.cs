using System.Diagnostics;

namespace Berth.Tests.Dockerfile.Fuzz;

/// <summary>
/// Runs many small cases on one worker thread and fails the test, naming the case's input, if any single case runs longer
/// than a generous limit: hang detection without the cost of a task per case.
/// </summary>
internal sealed class HangWatchdog(TimeSpan limit)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _caseStartedTicks = long.MaxValue;
    private volatile string _caseName = "";

    /// <summary>Called by the worker before each case.</summary>
    public void Begin(string caseName)
    {
        _caseName = caseName;
        Volatile.Write(ref _caseStartedTicks, _clock.ElapsedTicks);
    }

    public async Task RunAsync(Action work)
    {
        var worker = Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        while (!worker.IsCompleted)
        {
            await Task.WhenAny(worker, Task.Delay(250));
            long started = Volatile.Read(ref _caseStartedTicks);
            if (started != long.MaxValue && TimeSpan.FromTicks((long)((_clock.ElapsedTicks - started) * (TimeSpan.TicksPerSecond / (double)Stopwatch.Frequency))) > limit && !worker.IsCompleted)
                Assert.Fail($"a case did not finish within {limit} (hang or runaway blow-up): {_caseName}");
        }
        await worker; // rethrows the worker's assertion failures
    }
}
