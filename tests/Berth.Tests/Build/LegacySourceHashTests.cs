using System.Text;
using Berth.Engine.Build;
using Berth.Tests.Support;

namespace Berth.Tests.Build;

/// <summary>
/// Docker 20.10's legacy COPY/ADD source hash on fixed inputs. Every expected value is what Docker 20.10.24 (legacy builder,
/// docker CLI 20.10) wrote in history for the same input in the Parity/copy-hash and Parity/add-url cases.
/// </summary>
public class LegacySourceHashTests
{
    const string OneTxt = "5ff37a8c444d9cf17a281e7f34ced4cdeb9866c99e480835e92d0d27512e78eb"; // "one\n", 0644, context root
    const string Empty = "44bc590b5dc5f439088b0a3805e6868cac0bab17328c944bb2ede20952f566a8";  // "", 0644, context root
    const string Dir = "d55a0b35f4889066fa80d9eb8d3d22eb9e4a53071bf18f946910d3065806fde9";    // copy-hash's dir/

    static readonly UnixFileMode File644 = (UnixFileMode)Convert.ToInt32("644", 8);
    static readonly UnixFileMode Mode755 = (UnixFileMode)Convert.ToInt32("755", 8);

    [Fact]
    public void A_context_file_is_sha256_of_its_tarsum_header_then_its_data()
    {
        byte[] header = LegacySourceHash.Header("one.txt", 0x81A4, 0, 0, 4, "", "", "", 0, 0, null);
        Assert.Equal("nameone.txtmode33188uid0gid0size4typeflag0linknameunamegnamedevmajor0devminor0", Encoding.UTF8.GetString(header));
        Assert.Equal(OneTxt, LegacySourceHash.Sum([.. header, .. "one\n"u8]));
        Assert.Equal(Empty, LegacySourceHash.Sum(LegacySourceHash.Header("empty", 0x81A4, 0, 0, 0, "", "", "", 0, 0, null)));
    }

    [Fact]
    public void Several_sources_are_multi_over_their_hashes_in_order()
    {
        // COPY one.txt dir empty /several/
        Assert.Equal("multi:c7e247b29c6ca95d80710860d6e35f983c85e5c243d979eebb7355ff4aad401d",
            LegacySourceHash.Combine(["file:" + OneTxt, "dir:" + Dir, "file:" + Empty]));
        Assert.Equal("file:" + OneTxt, LegacySourceHash.Combine(["file:" + OneTxt]));
    }

    [Fact]
    public void A_download_is_hashed_as_dockerd_stores_it_mode_0600_owned_by_root_without_a_prefix()
    {
        Assert.Equal("root", LegacySourceHash.UserName(0));
        Assert.Equal("root", LegacySourceHash.GroupName(0));
        byte[] data = "downloaded payload\n"u8.ToArray();
        byte[] header = LegacySourceHash.Header("payload.txt", 0x8180, 0, 0, data.Length, "", "root", "root", 0, 0, null);
        Assert.Equal("156977aec3cddf9e364ee8b7a112321eaf2da3c654ba982980dd310edbdc0603", LegacySourceHash.Sum([.. header, .. data]));
    }

    /// <summary>copy-hash's context: dir/ with a file, an executable, an empty file, and relative, absolute and dangling symlinks.</summary>
    static ContextFiles CopyHashContext(TempDirectory dir)
    {
        Directory.CreateDirectory(dir.Combine("dir", "sub"));
        File.SetUnixFileMode(dir.Combine("dir"), Mode755);
        File.SetUnixFileMode(dir.Combine("dir", "sub"), Mode755);
        void Write(string path, string content, UnixFileMode mode)
        {
            File.WriteAllText(dir.Combine(path), content);
            File.SetUnixFileMode(dir.Combine(path), mode);
        }
        Write("one.txt", "one\n", File644);
        Write("two.txt", "two two\n", File644);
        Write("empty", "", File644);
        Write("dir/a.txt", "a\n", File644);
        Write("dir/sub/b.sh", "#!/bin/sh\necho b\n", Mode755);
        Write("dir/sub/nothing", "", File644);
        File.CreateSymbolicLink(dir.Combine("dir", "link-to-a"), "a.txt");
        File.CreateSymbolicLink(dir.Combine("dir", "abs-link"), "/two.txt");
        File.CreateSymbolicLink(dir.Combine("dir", "dangling"), "missing-target");
        File.CreateSymbolicLink(dir.Combine("top-link"), "one.txt");
        return ContextFiles.Open(dir.Path, []);
    }

    [Fact]
    public void Context_entries_and_a_directory_walk_give_Dockers_hashes_with_symlinks_followed()
    {
        using var dir = new TempDirectory();
        var context = CopyHashContext(dir);
        Assert.Equal(OneTxt, context.LegacyHashOf("one.txt"));
        Assert.Equal(Empty, context.LegacyHashOf("empty"));
        Assert.Equal(OneTxt, context.LegacyHashOf("top-link"));
        Assert.Equal(context.LegacyHashOf("two.txt"), context.LegacyHashOf("dir/abs-link"));
        Assert.Equal("dir/dangling", context.LegacyHashOf("dir/dangling"));
        var sums = context.Below("dir").Select(e => context.LegacyHashOf(e.Path)).Append(context.LegacyHashOf("dir")).ToList();
        Assert.Equal("dir:" + Dir, LegacySourceHash.Directory(sums));
    }

    [Fact]
    public void The_content_digest_and_the_legacy_sum_come_from_one_read_and_agree_with_a_separate_read()
    {
        using var dir = new TempDirectory();
        var context = CopyHashContext(dir);
        Assert.StartsWith("file 755 ", context.HashOf("dir/sub/b.sh"));
        string fromFirstRead = context.LegacyHashOf("dir/sub/b.sh");
        var fresh = ContextFiles.Open(dir.Path, []);
        Assert.Equal(fromFirstRead, fresh.LegacyHashOf("dir/sub/b.sh")); // not hashed before: read on its own
    }

    [Fact]
    public void A_tree_read_in_place_hashes_real_owners_with_host_names()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir.Combine("out"));
        File.WriteAllText(dir.Combine("out", "f"), "data\n");
        File.SetUnixFileMode(dir.Combine("out", "f"), File644);
        File.CreateSymbolicLink(dir.Combine("out", "link"), "f");
        var tree = new LegacyTreeHash(dir.Path);
        byte[] header = LegacySourceHash.Header("out/f", 0x81A4, 0, 0, 5, "", "root", "root", 0, 0, null);
        string expected = LegacySourceHash.Sum([.. header, .. "data\n"u8]);
        Assert.Equal(expected, tree.Hash("out/f"));
        Assert.Equal(expected, tree.Hash("out/link"));
        Assert.Equal("nowhere", new LegacyTreeHash(dir.Path).Hash("nowhere"));
        Assert.Equal("file:" + expected, tree.Source(new ContextFile("out/f", false), []));
    }

    [Fact]
    public async Task A_remembered_file_gives_its_legacy_sum_from_the_store_only_under_the_name_it_was_taken_for()
    {
        using var store = new TempStore();
        using var dir = new TempDirectory();
        var metadata = store.Engine.Store.Metadata;
        string outer = Path.GetFullPath(dir.Combine("ctx"));
        Directory.CreateDirectory(Path.Combine(outer, "sub"));
        string host = Path.Combine(outer, "sub", "a.txt");
        File.WriteAllText(host, "a\n");
        File.SetUnixFileMode(host, File644);
        await Task.Delay(TimeSpan.FromMilliseconds(2500)); // past the racy window, so the digest is remembered

        var first = ContextFiles.Open(outer, [], metadata);
        first.HashOf("sub/a.txt");
        string real = first.LegacyHashOf("sub/a.txt");
        first.SaveLearnedHashes();
        var (identity, stored) = metadata.FileHashesUnder(outer)[host];
        Assert.EndsWith("\nsub/a.txt\n" + real, stored);

        // A marker in place of the stored sum shows the next build takes it from the store instead of reading the file.
        metadata.SaveFileHashes([(host, identity, stored[..(stored.LastIndexOf('\n') + 1)] + "marker")]);
        var second = ContextFiles.Open(outer, [], metadata);
        Assert.Equal(first.HashOf("sub/a.txt"), second.HashOf("sub/a.txt"));
        Assert.Equal("marker", second.LegacyHashOf("sub/a.txt"));

        // With sub/ as the context the entry is named a.txt: the sum stored for sub/a.txt does not apply.
        var inner = ContextFiles.Open(Path.Combine(outer, "sub"), [], metadata);
        inner.HashOf("a.txt");
        Assert.Equal(LegacySourceHash.Sum([.. LegacySourceHash.Header("a.txt", 0x81A4, 0, 0, 2, "", "", "", 0, 0, null), .. "a\n"u8]), inner.LegacyHashOf("a.txt"));
    }

    [Fact]
    public void A_hard_link_seen_after_its_first_path_in_walk_order_is_hashed_as_a_link_entry()
    {
        // Parity/copy-hardlink: a-link.txt, first.txt and second.txt are one inode; the walk meets a-link.txt first.
        using var dir = new TempDirectory();
        File.WriteAllText(dir.Combine("first.txt"), "same\n");
        File.SetUnixFileMode(dir.Combine("first.txt"), File644);
        ProcessRunner.Check("ln", dir.Combine("first.txt"), dir.Combine("second.txt"));
        ProcessRunner.Check("ln", dir.Combine("first.txt"), dir.Combine("a-link.txt"));
        var context = ContextFiles.Open(dir.Path, []);
        Assert.Equal("892f3580c6a7de8b8802f9dd2ea886aacda970b96f7fe455d5f26e35b1cf8bd8", context.LegacyHashOf("a-link.txt"));
        Assert.Equal("1f62ba7156e0c45169536b68ff2900458c3214bb88a00af0b5a42dcc765d05fe", context.LegacyHashOf("first.txt"));
        Assert.Equal("adfcb3cb0ebc34d48e36b5e947cc3ebc996e42efb56cf2661ca0c210b3e63e0a", context.LegacyHashOf("second.txt"));
    }

    [Fact]
    public void A_file_larger_than_one_read_gets_both_digests_right()
    {
        using var dir = new TempDirectory();
        byte[] data = new byte[3 * 1024 * 1024 + 17];
        new Random(7).NextBytes(data);
        File.WriteAllBytes(dir.Combine("big.bin"), data);
        File.SetUnixFileMode(dir.Combine("big.bin"), File644);
        var context = ContextFiles.Open(dir.Path, []);
        Assert.Equal("file 644 " + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(data)), context.HashOf("big.bin"));
        byte[] header = LegacySourceHash.Header("big.bin", 0x81A4, 0, 0, data.Length, "", "", "", 0, 0, null);
        Assert.Equal(LegacySourceHash.Sum([.. header, .. data]), context.LegacyHashOf("big.bin"));
    }
}
