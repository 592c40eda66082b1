using System.Formats.Tar;

namespace Berth.Engine.Images;

/// <summary>Unpacks an image archive (docker-archive or OCI layout tar) into a private directory and reads files from it safely.</summary>
/// <remarks>
/// Archives name their parts by path (manifest.json lists layer paths), so they need random access; the
/// archive is unpacked once into a store-private temp dir. Every path from the archive or from its JSON is
/// resolved inside that dir: `..`, absolute paths and symlinks that leave it are refused.
/// </remarks>
public sealed class ImageArchiveReader : IDisposable
{
    readonly string _root;

    ImageArchiveReader(string root) => _root = root;

    public static async Task<ImageArchiveReader> ExtractAsync(Stream archive, string tempParent, string description, CancellationToken cancellationToken)
    {
        string root = Path.Combine(tempParent, "archive-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        var reader = new ImageArchiveReader(root);
        try
        {
            var tar = new TarReader(archive, leaveOpen: true);
            TarEntry? entry;
            int count = 0;
            while (true)
            {
                try { entry = await tar.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false); }
                catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException)
                {
                    throw new InvalidInputException($"{description}: not a valid image archive (tar error: {e.Message})", e);
                }
                if (entry is null) break;
                count++;
                string relative = CheckedRelative(entry.Name, description);
                if (relative.Length == 0) continue;
                string target = Path.Combine(root, relative);
                switch (entry.EntryType)
                {
                    case TarEntryType.Directory:
                        Directory.CreateDirectory(target);
                        break;
                    case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                        await using (var file = new FileStream(target, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
                        {
                            if (entry.DataStream is { } data)
                            {
                                try { await data.CopyToAsync(file, 1 << 20, cancellationToken).ConfigureAwait(false); }
                                catch (EndOfStreamException e) { throw new InvalidInputException($"{description}: archive is truncated in {entry.Name}", e); }
                            }
                            if (file.Length != entry.Length) throw new InvalidInputException($"{description}: archive is truncated in {entry.Name}");
                        }
                        break;
                    case TarEntryType.SymbolicLink:
                        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                        File.CreateSymbolicLink(target, entry.LinkName);
                        break;
                    case TarEntryType.HardLink:
                        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                        File.Copy(reader.Resolve(entry.LinkName, description), target, overwrite: true);
                        break;
                    case TarEntryType.ExtendedAttributes or TarEntryType.GlobalExtendedAttributes:
                        break;
                    default:
                        throw new InvalidInputException($"{description}: unexpected {entry.EntryType} entry {entry.Name} in an image archive");
                }
            }
            if (count == 0) throw new InvalidInputException($"{description}: empty archive (no image archive data)");
            return reader;
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    static string CheckedRelative(string name, string description)
    {
        if (name.StartsWith('/') || name.Split('/').Any(p => p == "..") || name.Contains('\0'))
            throw new InvalidInputException($"{description}: archive entry \"{name}\" points outside the archive");
        return string.Join('/', name.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != "."));
    }

    public bool Exists(string relative) => TryResolve(relative, out var path) && File.Exists(path);

    /// <summary>The real path of an archive member, refusing anything that resolves outside the archive.</summary>
    public string Resolve(string relative, string description)
    {
        if (!TryResolve(relative, out var path))
            throw new InvalidInputException($"{description}: path \"{relative}\" points outside the archive");
        if (!File.Exists(path))
            throw new InvalidInputException($"{description}: \"{relative}\" is missing from the archive");
        return path;
    }

    bool TryResolve(string relative, out string path)
    {
        path = "";
        if (relative.StartsWith('/') || relative.Contains('\0')) return false;
        string current = _root;
        var parts = new Queue<string>(relative.Split('/', StringSplitOptions.RemoveEmptyEntries));
        int hops = 0;
        while (parts.Count > 0)
        {
            string part = parts.Dequeue();
            if (part == ".") continue;
            if (part == "..")
            {
                if (current == _root) return false;
                current = Path.GetDirectoryName(current)!;
                continue;
            }
            string next = Path.Combine(current, part);
            var info = new FileInfo(next);
            if (info.LinkTarget is { } link)
            {
                if (++hops > 40 || link.StartsWith('/')) return false;
                var rest = parts.ToList();
                parts = new Queue<string>(link.Split('/', StringSplitOptions.RemoveEmptyEntries).Concat(rest));
                continue;
            }
            current = next;
        }
        path = current;
        return true;
    }

    public Stream Open(string relative, string description) => new FileStream(Resolve(relative, description), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);

    public Task<byte[]> ReadAllBytesAsync(string relative, string description, CancellationToken cancellationToken)
        => File.ReadAllBytesAsync(Resolve(relative, description), cancellationToken);

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
