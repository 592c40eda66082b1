using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace Berth.Engine.Runtime;

/// <summary>One line of container output. <see cref="Text"/> ends with "\n" unless the container's output ended mid-line.</summary>
public sealed record LogEntry(DateTimeOffset Time, string Stream, string Text);

/// <summary>Which entries <see cref="ContainerLogReader.ReadAsync"/> yields (<c>logs --tail --since --until -f</c>).</summary>
public sealed record LogReadOptions
{
    /// <summary>Only the last N entries (before following).</summary>
    public int? Tail { get; init; }
    public DateTimeOffset? Since { get; init; }
    public DateTimeOffset? Until { get; init; }
    /// <summary>Keep reading as the file grows until cancelled or <see cref="StopFollowing"/> says the container is gone.</summary>
    public bool Follow { get; init; }
    /// <summary>Checked while following when no new output arrived; true ends the stream after a last read.</summary>
    public Func<bool>? StopFollowing { get; init; }
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(100);
}

/// <summary>
/// Reads conmon's k8s-file logs: lines of <c>TIME STREAM TAG TEXT</c>, TIME in RFC 3339 with nanoseconds and offset,
/// STREAM stdout or stderr, TAG F for a full line or P for a piece of a longer one (the pieces are joined here).
/// </summary>
public static class ContainerLogReader
{
    /// <summary>Parses one log-file line (without its newline).</summary>
    public static bool TryParseLine(string line, out DateTimeOffset time, out string stream, out bool partial, out string text)
    {
        time = default;
        stream = "";
        partial = false;
        text = "";
        int s1 = line.IndexOf(' ');
        if (s1 <= 0) return false;
        int s2 = line.IndexOf(' ', s1 + 1);
        if (s2 <= 0) return false;
        int s3 = line.IndexOf(' ', s2 + 1);
        string tag = s3 > 0 ? line[(s2 + 1)..s3] : line[(s2 + 1)..];
        if (tag is not ("F" or "P")) return false;
        if (!TryParseTime(line[..s1], out time)) return false;
        stream = line[(s1 + 1)..s2];
        partial = tag == "P";
        text = s3 > 0 ? line[(s3 + 1)..] : "";
        return true;
    }

    /// <summary>RFC 3339 with up to nine fractional digits (.NET parses seven).</summary>
    public static bool TryParseTime(string value, out DateTimeOffset time)
    {
        time = default;
        int dot = value.IndexOf('.');
        string normalized = value;
        if (dot > 0)
        {
            int end = dot + 1;
            while (end < value.Length && char.IsAsciiDigit(value[end])) end++;
            string fraction = value[(dot + 1)..end];
            fraction = fraction.Length > 7 ? fraction[..7] : fraction.PadRight(7, '0');
            normalized = value[..dot] + "." + fraction + value[end..];
        }
        else
        {
            int offset = value.IndexOfAny(['Z', '+', '-'], 19);
            if (offset < 0) return false;
            normalized = value[..offset] + ".0000000" + value[offset..];
        }
        return DateTimeOffset.TryParseExact(normalized, "yyyy-MM-dd'T'HH:mm:ss.fffffffK", CultureInfo.InvariantCulture,
            DateTimeStyles.None, out time);
    }

    /// <summary>Formats a time as conmon does (for tests and writers of compatible files).</summary>
    public static string FormatTime(DateTimeOffset time)
    {
        long ticksIntoSecond = time.Ticks % TimeSpan.TicksPerSecond;
        string nanos = (ticksIntoSecond * 100).ToString("D9", CultureInfo.InvariantCulture);
        var offset = time.Offset;
        char sign = offset < TimeSpan.Zero ? '-' : '+';
        offset = offset.Duration();
        return time.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture) + "." + nanos
            + sign + offset.Hours.ToString("D2", CultureInfo.InvariantCulture) + ":" + offset.Minutes.ToString("D2", CultureInfo.InvariantCulture);
    }

    /// <summary>The entries of a log file, filtered, and with <see cref="LogReadOptions.Follow"/> those written later.</summary>
    public static async IAsyncEnumerable<LogEntry> ReadAsync(string path, LogReadOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        options ??= new LogReadOptions();
        if (!File.Exists(path))
        {
            if (!options.Follow) yield break;
            while (!File.Exists(path))
            {
                if (options.StopFollowing?.Invoke() == true) yield break;
                await Task.Delay(options.PollInterval, cancellationToken).ConfigureAwait(false);
            }
        }

        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16, useAsync: true);
        var assembler = new Assembler(options);
        var buffer = new byte[1 << 16];
        var pendingBytes = new List<byte>();

        // Existing content: with --tail keep only the last entries.
        var initial = new Queue<LogEntry>();
        while (true)
        {
            int n = await file.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (n == 0) break;
            foreach (var entry in assembler.Feed(buffer.AsSpan(0, n), pendingBytes))
            {
                initial.Enqueue(entry);
                if (options.Tail is { } tail && initial.Count > tail) initial.Dequeue();
            }
        }
        if (!options.Follow)
            foreach (var entry in assembler.Flush())
            {
                initial.Enqueue(entry);
                if (options.Tail is { } tail && initial.Count > tail) initial.Dequeue();
            }
        if (options.Tail is 0) initial.Clear();
        foreach (var entry in initial) yield return entry;
        if (!options.Follow) yield break;

        while (true)
        {
            int n = await file.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (n > 0)
            {
                foreach (var entry in assembler.Feed(buffer.AsSpan(0, n), pendingBytes))
                    yield return entry;
                continue;
            }
            if (options.StopFollowing?.Invoke() == true)
            {
                // The writer is gone: one last read for anything written just before it stopped.
                while ((n = await file.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                    foreach (var entry in assembler.Feed(buffer.AsSpan(0, n), pendingBytes))
                        yield return entry;
                foreach (var entry in assembler.Flush())
                    yield return entry;
                yield break;
            }
            await Task.Delay(options.PollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Splits bytes into lines, parses them, joins P pieces per stream and applies since/until.</summary>
    private sealed class Assembler(LogReadOptions options)
    {
        private readonly Dictionary<string, (DateTimeOffset Time, StringBuilder Text)> _partial = new();

        public List<LogEntry> Feed(ReadOnlySpan<byte> data, List<byte> pending)
        {
            var result = new List<LogEntry>();
            int start = 0;
            for (int i = 0; i < data.Length; i++)
            {
                if (data[i] != (byte)'\n') continue;
                string line;
                if (pending.Count > 0)
                {
                    pending.AddRange(data[start..i]);
                    line = Encoding.UTF8.GetString(pending.ToArray());
                    pending.Clear();
                }
                else line = Encoding.UTF8.GetString(data[start..i]);
                start = i + 1;
                if (Line(line) is { } entry && Wanted(entry)) result.Add(entry);
            }
            pending.AddRange(data[start..]);
            return result;
        }

        private LogEntry? Line(string line)
        {
            if (!TryParseLine(line, out var time, out var stream, out bool partial, out var text)) return null;
            if (partial)
            {
                if (_partial.TryGetValue(stream, out var open)) open.Text.Append(text);
                else _partial[stream] = (time, new StringBuilder(text));
                return null;
            }
            if (_partial.Remove(stream, out var started))
                return new LogEntry(started.Time, stream, started.Text.Append(text).Append('\n').ToString());
            return new LogEntry(time, stream, text + "\n");
        }

        /// <summary>Pieces never completed (the output ended without a newline) as entries without "\n".</summary>
        public List<LogEntry> Flush()
        {
            var result = _partial.Select(p => new LogEntry(p.Value.Time, p.Key, p.Value.Text.ToString())).Where(Wanted).ToList();
            _partial.Clear();
            return result;
        }

        private bool Wanted(LogEntry entry) =>
            (options.Since is not { } since || entry.Time >= since) && (options.Until is not { } until || entry.Time <= until);
    }
}
