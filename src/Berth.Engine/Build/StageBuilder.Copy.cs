using Berth.Engine.Containers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Berth.Engine.Content;
using Berth.Engine.Dockerfile.Instructions;

namespace Berth.Engine.Build;

public sealed partial class StageBuilder
{
    /// <summary>A COPY/ADD source as planned: from a tree (context, stage, image), a downloaded URL, or a heredoc.</summary>
    sealed record PlannedSource(string Written, IReadOnlyList<ContextFile> Entries, string? DownloadedFile = null, string? FileName = null,
        DateTimeOffset? Mtime = null, string? InlineContent = null);

    async Task<StepPlan> PlanCopyAsync(FileTransferInstruction copy, CancellationToken cancellationToken)
    {
        string keyword = copy is AddInstruction ? "ADD" : "COPY";
        bool isAdd = copy is AddInstruction;
        string? from = (copy as CopyInstruction)?.From is { } f ? Expand(f) : null;
        string? chown = copy.Chown is { } c ? Expand(c) : null;
        uint? chmod = null;
        if (copy.Chmod is { } m)
        {
            string mode = Expand(m);
            try { chmod = Convert.ToUInt32(mode, 8); }
            catch (FormatException) { throw new BuildException($"invalid chmod parameter: {mode}"); }
            if (chmod > 0xFFF) throw new BuildException($"invalid chmod parameter: {mode}");
        }
        if (copy is CopyInstruction { Parents: true }) throw new BuildException("--parents is not supported yet");
        string destWritten = Expand(copy.Destination);
        string dest = destWritten;
        bool destIsDir = dest.EndsWith('/') || dest == "." || dest.EndsWith("/.", StringComparison.Ordinal);
        if (!dest.StartsWith('/')) dest = (_state.Run.WorkingDir.Length == 0 ? "/" : _state.Run.WorkingDir.TrimEnd('/') + "/") + dest;
        dest = RootfsPath.Clean(dest);

        // The tree sources come from: the context, or a stage / image mounted read-only for the step.
        ISourceTree tree = session.Context;
        string fromIdentity = "";
        SourceView? fromView = null;
        var downloads = new List<string>();
        void Cleanup()
        {
            fromView?.Dispose();
            foreach (var d in downloads) File.Delete(d);
        }
        try
        {
            if (from is not null)
            {
                (var source, fromIdentity) = await ResolveSourceStateAsync(from, cancellationToken).ConfigureAwait(false);
                fromView = SourceView.Of(session.Store, source);
                tree = new DirectorySourceTree(fromView.Root);
            }

            if (copy.Excludes.Count > 0) tree = new ExcludingSourceTree(tree, copy.Excludes.Select(Expand).ToList());
            var planned = new List<PlannedSource>();
            foreach (var raw in copy.Sources)
            {
                string written = Expand(raw);
                if (isAdd && (written.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || written.StartsWith("https://", StringComparison.OrdinalIgnoreCase)))
                {
                    var (file, name, mtime) = await DownloadAsync(written, ((AddInstruction)copy).Checksum is { } sum ? Expand(sum) : null, cancellationToken).ConfigureAwait(false);
                    downloads.Add(file);
                    planned.Add(new PlannedSource(written, [], file, name, mtime));
                    continue;
                }
                planned.Add(new PlannedSource(written, ResolveSources(tree, written, keyword)));
            }
            foreach (var inline in copy.InlineSources)
                planned.Add(new PlannedSource("<<" + inline.Path, [], FileName: inline.Path,
                    InlineContent: inline.Expand ? Expand(inline.Content) : inline.Content));

            int entryCount = planned.Sum(p => p.Entries.Count == 0 ? 1 : p.Entries.Count);
            if (entryCount > 1 && !destIsDir)
            {
                if (planned.Count > 1 || planned.Any(p => p.Entries.Count > 1))
                    throw new BuildException($"When using {keyword} with more than one source file, the destination must be a directory and end with a /");
            }
            bool multiple = entryCount > 1;

            // Cache inputs: every file's digest for the context; the stage's key or image ID for --from.
            var lines = new List<string>();
            foreach (var p in planned)
            {
                if (p.DownloadedFile is { } d) lines.Add($"{p.Written}\turl {await HashFileAsync(d, cancellationToken).ConfigureAwait(false)} {p.FileName}");
                else if (p.InlineContent is { } content) lines.Add($"{p.Written}\theredoc {SmallSha256.Of(content).Hex}");
                else foreach (var entry in p.Entries) AddSourceLines(lines, tree, entry, fromIdentity, cancellationToken);
            }
            string sourceHash = SmallSha256.Of(string.Join('\n', lines)).Hex;
            string kind = multiple ? "multi" : planned.Count == 1 && planned[0].Entries.Count == 1 && planned[0].Entries[0].IsDirectory ? "dir" : "file";
            string flags = (chown is null ? "" : $"--chown={chown}") + (chmod is null ? "" : $"{(chown is null ? "" : " ")}--chmod={Convert.ToString(chmod.Value, 8)}");
            string createdBy = HistoryText.NopOneSpace(Shell, $"{keyword} {(flags.Length == 0 ? "" : flags)}{kind}:{sourceHash} in {destWritten} ");
            string instructionText = $"{keyword}{(flags.Length == 0 ? "" : " " + flags)}{(from is null ? "" : " --from=" + fromIdentity)} {string.Join(' ', planned.Select(p => p.Written))} {dest}{(destIsDir ? "/" : "")}";

            return new StepPlan(new StepInputs(instructionText, "", lines), async (_, ct) =>
            {
                using var workspace = StepWorkspace.Open(session.Store, _state.Layers, withInitLayer: false);
                var (uid, gid) = chown is null ? (0u, 0u) : ImageUsers.Load(workspace.Rootfs).ResolveChown(chown);
                var copier = new FileCopier(workspace.Rootfs, new CopyOptions(uid, gid, chmod, isAdd, chown is not null));
                string destDir = dest == "/" ? "/" : dest + "/";
                foreach (var p in planned)
                {
                    if (p.DownloadedFile is { } file)
                        copier.WriteFile(file, destIsDir || multiple ? destDir + p.FileName : dest, chmod ?? 0x180, p.Mtime);
                    else if (p.InlineContent is { } content)
                    {
                        string temp = Path.Combine(workspace.ScratchDirectory, "heredoc");
                        await File.WriteAllTextAsync(temp, content, ct).ConfigureAwait(false);
                        copier.WriteFile(temp, destIsDir || multiple ? destDir + p.FileName : dest, chmod ?? 0x1A4);
                    }
                    else await copier.CopyAsync(p.Entries.Select(e => new ResolvedSource(tree, e)).ToList(), dest, destIsDir || multiple, ct).ConfigureAwait(false);
                }
                var layer = await workspace.CommitAsync(_state.Layers.LastOrDefault(), session.TarOptions, session.Lease, ct).ConfigureAwait(false);
                return (_state.Append(_state.Run, createdBy, session.Created, layer), layer?.Size ?? 0, (string?)null);
            }) { Cleanup = Cleanup };
        }
        catch
        {
            Cleanup();
            throw;
        }
    }

    /// <summary>Resolves one written source in a tree: wildcards expanded, a named symlink followed inside the tree.</summary>
    static List<ContextFile> ResolveSources(ISourceTree tree, string written, string keyword)
    {
        if (tree.Root is null)
            throw new BuildException($"{keyword} failed: no build context: {written} cannot be copied (the Dockerfile came from stdin)");
        string clean = RootfsPath.Clean("/" + written).TrimStart('/');
        string normalized = written.Replace("\\", "/", StringComparison.Ordinal);
        if (normalized.StartsWith("../", StringComparison.Ordinal) || normalized == "..")
            throw new BuildException($"{keyword} failed: forbidden path outside the build context: {written}");
        if (ContextFiles.HasWildcards(clean))
        {
            var matches = tree.Glob(clean).Select(e => Follow(tree, e)).OfType<ContextFile>().ToList();
            if (matches.Count == 0) throw new BuildException($"{keyword} failed: no source files were specified");
            return matches;
        }
        var entry = tree.Get(clean);
        var followed = entry is null ? null : Follow(tree, entry);
        if (followed is null)
            throw new BuildException($"{keyword} failed: file not found in build context or excluded by .dockerignore: stat {written}: file does not exist");
        return [followed];
    }

    /// <summary>A symlink named as a source is followed, inside the tree.</summary>
    static ContextFile? Follow(ISourceTree tree, ContextFile entry)
    {
        if (entry.IsDirectory || entry.Path.Length == 0) return entry;
        string host = tree.HostPath(entry.Path);
        if (new FileInfo(host).LinkTarget is null) return entry;
        string resolved = RootfsPath.Resolve(tree.Root!, "/" + entry.Path);
        string relative = resolved.Length <= tree.Root!.Length ? "" : resolved[(tree.Root.Length + 1)..];
        return tree.Get(relative) is { } target && new FileInfo(tree.HostPath(relative)).LinkTarget is null ? target : null;
    }

    static void AddSourceLines(List<string> lines, ISourceTree tree, ContextFile entry, string fromIdentity, CancellationToken cancellationToken)
    {
        if ((tree is ExcludingSourceTree excluding ? excluding.Inner : tree) is ContextFiles context)
        {
            lines.Add($"{(entry.Path.Length == 0 ? "." : entry.Path)}\t{(entry.IsDirectory ? "dir" : context.HashOf(entry.Path))}");
            if (entry.IsDirectory)
            {
                var below = tree.Below(entry.Path).ToList();
                context.HashAhead(below, cancellationToken);
                foreach (var e in below) lines.Add($"{e.Path}\t{context.HashOf(e.Path)}");
            }
        }
        else lines.Add($"{entry.Path}\t{fromIdentity}");
    }

    static async Task<string> HashFileAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
    }

    async Task<(string File, string Name, DateTimeOffset? Mtime)> DownloadAsync(string url, string? checksum, CancellationToken cancellationToken)
    {
        string file = Path.Combine(session.Store.TempDirectory, "add-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var client = new HttpClient { Timeout = TimeSpan.FromMinutes(30) };
            using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
                throw new BuildException($"ADD failed: {url}: unexpected HTTP status {(int)response.StatusCode} {response.ReasonPhrase}");
            await using (var output = File.Create(file))
                await response.Content.CopyToAsync(output, cancellationToken).ConfigureAwait(false);
            string name = response.Content.Headers.ContentDisposition?.FileNameStar ?? response.Content.Headers.ContentDisposition?.FileName?.Trim('"') ?? "";
            if (name.Length == 0)
            {
                string path = new Uri(url).AbsolutePath;
                name = Uri.UnescapeDataString(path[(path.LastIndexOf('/') + 1)..]);
            }
            if (name.Length == 0 || name.Contains('/')) throw new BuildException($"ADD failed: cannot determine a file name for {url}");
            if (checksum is not null)
            {
                string actual = "sha256:" + await HashFileAsync(file, cancellationToken).ConfigureAwait(false);
                if (!string.Equals(actual, checksum, StringComparison.OrdinalIgnoreCase))
                    throw new BuildException($"ADD failed: digest mismatch for {url}: expected {checksum}, got {actual}");
            }
            return (file, name, response.Content.Headers.LastModified);
        }
        catch (HttpRequestException e)
        {
            File.Delete(file);
            throw new BuildException($"ADD failed: {url}: {e.Message}", e);
        }
        catch
        {
            File.Delete(file);
            throw;
        }
    }
}
