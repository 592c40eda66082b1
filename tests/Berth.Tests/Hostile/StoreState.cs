using Berth.Tests.Support;

namespace Berth.Tests.Hostile;

/// <summary>Every file and directory of a store with its size (database and lock files aside), to prove a refused input changed nothing.</summary>
static class StoreState
{
    static readonly string[] Ignored = ["berth.db", "berth.db-wal", "berth.db-shm", "locks", "run"];

    public static IReadOnlyList<string> Of(string root) =>
        Berth.Engine.FileEnumeration.Tree(root)
            .Select(e => Path.GetRelativePath(root, e.FullName))
            .Where(p => !Ignored.Contains(p.Split('/')[0]))
            .Select(p => File.Exists(Path.Combine(root, p)) && new FileInfo(Path.Combine(root, p)).LinkTarget is null ? $"{p} {new FileInfo(Path.Combine(root, p)).Length}" : p)
            .Order(StringComparer.Ordinal).ToList();

    /// <summary>Asserts the store holds exactly what it held before and `system check` (no grace period) finds nothing.</summary>
    public static async Task AssertUnchangedAsync(TempStore store, IReadOnlyList<string> before)
    {
        Assert.Equal(before, Of(store.Root));
        var report = await store.Engine.Maintenance.Checker.CheckAsync(repair: false, TimeSpan.Zero);
        Assert.True(report.Findings.Count == 0 && report.InProgress.Count == 0, string.Join("\n", report.Findings.Select(f => f.ToString()).Concat(report.InProgress)));
    }
}
