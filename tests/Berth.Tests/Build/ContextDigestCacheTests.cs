using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using Berth.Engine.Build;
using Berth.Engine.Metadata;
using Berth.Tests.Support;
using Microsoft.Data.Sqlite;

namespace Berth.Tests.Build;

/// <summary>
/// The stat-keyed digest cache of context files: a digest remembered with a file's stat identity is reused without reading
/// the file only while that identity is unchanged, and any change (content, mode, even with size and mtime put back) is read again.
/// </summary>
public class ContextDigestCacheTests
{
    /// <summary>Out of the racy window: a file last changed this long ago may have its digest remembered.</summary>
    static readonly TimeSpan PastRacyWindow = TimeSpan.FromMilliseconds(2500);

    sealed class Context : IDisposable
    {
        readonly TempStore _store = new();
        readonly TempDirectory _dir = new();
        public MetadataStore Metadata => _store.Engine.Store.Metadata;
        public string Root => Path.GetFullPath(_dir.Path);
        public string PathOf(string name) => Path.Combine(Root, name);

        public string Write(string name, string content)
        {
            File.WriteAllText(PathOf(name), content);
            return PathOf(name);
        }

        /// <summary>What one build sees: a fresh walk of the context, the digest of <paramref name="name"/>, then the learned digests saved.</summary>
        public string Build(string name)
        {
            var files = ContextFiles.Open(Root, [], Metadata);
            string hash = files.HashOf(name);
            files.SaveLearnedHashes();
            return hash;
        }

        public bool Remembers(string name) => Metadata.FileHashesUnder(Root).ContainsKey(PathOf(name));

        public void Dispose()
        {
            _store.Dispose();
            _dir.Dispose();
        }
    }

    static string Expected(string mode, string content) => $"file {mode} {Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content)))}";

    [Fact]
    public async Task An_unchanged_file_is_not_read_again_once_its_digest_is_remembered()
    {
        using var c = new Context();
        string file = c.Write("a.txt", "hello");
        File.SetUnixFileMode(file, (UnixFileMode)0x1A4);
        await Task.Delay(PastRacyWindow);
        Assert.Equal(Expected("644", "hello"), c.Build("a.txt"));
        Assert.True(c.Remembers("a.txt"));
        // Plant another digest under the same identity: a build that returns it did not read the file.
        c.Metadata.SaveFileHashes([(file, FileIdentity.Of(file)!, "file 644 planted")]);
        Assert.Equal("file 644 planted", c.Build("a.txt"));
    }

    [Fact]
    public async Task A_same_size_edit_in_the_same_second_with_the_mtime_put_back_is_read_again()
    {
        using var c = new Context();
        string file = c.Write("a.txt", "hello");
        File.SetUnixFileMode(file, (UnixFileMode)0x1A4);
        await Task.Delay(PastRacyWindow);
        var mtime = File.GetLastWriteTimeUtc(file);
        Assert.Equal(Expected("644", "hello"), c.Build("a.txt"));
        Assert.True(c.Remembers("a.txt"));

        File.WriteAllText(file, "jello"); // same size, right after the build
        File.SetLastWriteTimeUtc(file, mtime); // same mtime to the tick: only the ctime tells
        Assert.Equal(mtime, File.GetLastWriteTimeUtc(file));
        Assert.Equal(Expected("644", "jello"), c.Build("a.txt"));
        Assert.NotEqual(c.Metadata.FileHashesUnder(c.Root)[file].Identity, FileIdentity.Of(file, racyWindowSeconds: 0));
    }

    [Fact]
    public async Task A_mode_change_is_read_again()
    {
        using var c = new Context();
        string file = c.Write("run.sh", "echo hi");
        File.SetUnixFileMode(file, (UnixFileMode)0x1A4);
        await Task.Delay(PastRacyWindow);
        Assert.Equal(Expected("644", "echo hi"), c.Build("run.sh"));
        File.SetUnixFileMode(file, (UnixFileMode)0x1ED);
        Assert.Equal(Expected("755", "echo hi"), c.Build("run.sh"));
    }

    [Fact]
    public async Task A_touch_without_a_change_is_read_again_and_gives_the_same_digest()
    {
        using var c = new Context();
        string file = c.Write("a.txt", "hello");
        File.SetUnixFileMode(file, (UnixFileMode)0x1A4);
        await Task.Delay(PastRacyWindow);
        string before = c.Build("a.txt");
        string identity = FileIdentity.Of(file)!;
        File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddDays(-1));
        Assert.Equal(before, c.Build("a.txt"));
        Assert.NotEqual(identity, FileIdentity.Of(file, racyWindowSeconds: 0));
    }

    [Fact]
    public void A_file_changed_within_the_racy_window_is_hashed_but_never_remembered()
    {
        using var c = new Context();
        string file = c.Write("a.txt", "hello");
        File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddDays(-1)); // an old mtime does not help: the ctime is now
        Assert.Null(FileIdentity.Of(file));
        Assert.StartsWith("file ", c.Build("a.txt"));
        Assert.False(c.Remembers("a.txt"));
    }

    [Fact]
    public async Task Many_files_are_hashed_in_parallel_to_the_same_digests()
    {
        using var c = new Context();
        var expected = new Dictionary<string, string>();
        Directory.CreateDirectory(c.PathOf("d"));
        for (int i = 0; i < 300; i++)
        {
            string content = "file " + i + new string('x', i * 37);
            string file = c.Write($"d/f{i:D3}", content);
            File.SetUnixFileMode(file, (UnixFileMode)0x1A4);
            expected[$"d/f{i:D3}"] = Expected("644", content);
        }
        await Task.Delay(PastRacyWindow);
        var files = ContextFiles.Open(c.Root, [], c.Metadata);
        files.HashAhead(files.Below("d"), CancellationToken.None);
        foreach (var (name, hash) in expected) Assert.Equal(hash, files.HashOf(name));
        files.SaveLearnedHashes();
        Assert.Equal(300, c.Metadata.FileHashesUnder(c.Root).Count);
    }
}

/// <summary>A rebuild in which every step hits rewrites no cache row, no tag and no blob (the build lease is its only write).</summary>
public class NoChangeRebuildTests
{
    static (long MaxLastUsed, long TagAdded) StoreTimes(BuildFixture f)
    {
        using var connection = new SqliteConnection("Data Source=" + Path.Combine(f.Store.Root, "berth.db") + ";Pooling=False");
        connection.Open();
        using var lastUsed = connection.CreateCommand();
        lastUsed.CommandText = "SELECT max(last_used) FROM build_cache";
        using var tag = connection.CreateCommand();
        tag.CommandText = "SELECT added FROM tags WHERE name = 'docker.io/library/app:1'";
        return ((long)lastUsed.ExecuteScalar()!, (long)tag.ExecuteScalar()!);
    }

    [Fact]
    public async Task A_rebuild_that_changes_nothing_rewrites_no_cache_row_tag_or_blob()
    {
        using var f = await BuildFixture.CreateAsync();
        f.Write("a.txt", "a");
        f.Dockerfile("FROM busybox\nENV A=1\nCOPY a.txt /app/\nCMD [\"sh\"]\n");
        var (first, _) = await f.BuildAsync(new BuildOptions { Tags = ["app:1"] });
        var times = StoreTimes(f);
        var files = f.Store.DataFiles();
        await Task.Delay(50);

        var (again, progress) = await f.BuildAsync(new BuildOptions { Tags = ["app:1"] });
        Assert.Equal(first.ImageId, again.ImageId);
        Assert.All(progress.Finished.Where(s => !s.Step.Text.StartsWith("FROM", StringComparison.Ordinal)), s => Assert.Equal(StepOutcome.Cached, s.Outcome));
        Assert.Equal(times, StoreTimes(f));
        Assert.Equal(files, f.Store.DataFiles());
        Assert.Empty(f.Leftovers());
    }

    [Fact]
    public async Task A_rebuild_with_a_new_tag_adds_the_tag()
    {
        using var f = await BuildFixture.CreateAsync();
        f.Write("a.txt", "a");
        f.Dockerfile("FROM busybox\nCOPY a.txt /app/\n");
        var (first, _) = await f.BuildAsync(new BuildOptions { Tags = ["app:1"] });
        var (again, _) = await f.BuildAsync(new BuildOptions { Tags = ["app:1", "app:2"] });
        Assert.Equal(first.ImageId, again.ImageId);
        Assert.Equal(first.ImageId, f.Store.Engine.Store.Metadata.ResolveTag("docker.io/library/app:2"));
    }

    [Fact]
    public async Task A_hit_on_a_step_last_used_long_ago_refreshes_its_last_used_time()
    {
        using var f = await BuildFixture.CreateAsync();
        f.Dockerfile("FROM busybox\nENV A=1\n");
        await f.BuildAsync(new BuildOptions { Tags = ["app:1"] });
        long hourAgo = DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeMilliseconds();
        using (var connection = new SqliteConnection("Data Source=" + Path.Combine(f.Store.Root, "berth.db") + ";Pooling=False"))
        {
            connection.Open();
            using var set = connection.CreateCommand();
            set.CommandText = $"UPDATE build_cache SET last_used = {hourAgo}";
            Assert.Equal(1, set.ExecuteNonQuery());
        }
        await f.BuildAsync(new BuildOptions { Tags = ["app:1"] });
        Assert.True(StoreTimes(f).MaxLastUsed > hourAgo);
    }

    [Fact]
    public async Task Copy_keeps_set_user_id_bits()
    {
        using var f = await BuildFixture.CreateAsync();
        f.Write("tool", "#!/bin/sh\n", (UnixFileMode)0x9ED); // 4755
        f.Dockerfile("FROM busybox\nCOPY tool /usr/local/bin/tool\n");
        var (result, _) = await f.BuildAsync();
        var entry = f.LayerEntries(result.ImageId, -1)["usr/local/bin/tool"];
        Assert.Equal((UnixFileMode)0x9ED, entry.Mode);
        Assert.Equal(TarEntryType.RegularFile, entry.EntryType);
    }
}
