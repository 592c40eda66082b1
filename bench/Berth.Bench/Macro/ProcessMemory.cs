namespace Berth.Bench.Macro;

/// <summary>Resident set sizes read from /proc, for peak-memory sampling of a process tree.</summary>
public static class ProcessMemory
{
    public static long RssKilobytes(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return 0;
    }

    /// <summary>The RSS of <paramref name="pid"/> and all its descendants, in KiB.</summary>
    public static long TreeRssKilobytes(int pid)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int p)) continue;
            try
            {
                string stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                int parent = int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture);
                if (!children.TryGetValue(parent, out var list)) children[parent] = list = [];
                list.Add(p);
            }
            catch (IOException) { }
        }
        long total = 0;
        var queue = new Queue<int>([pid]);
        while (queue.Count > 0)
        {
            int p = queue.Dequeue();
            total += RssKilobytes(p);
            if (children.TryGetValue(p, out var list)) foreach (var c in list) queue.Enqueue(c);
        }
        return total;
    }
}
