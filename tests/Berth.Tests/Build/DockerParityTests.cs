using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Berth.Engine.Services.Images;
using Berth.Tests.Support;

namespace Berth.Tests.Build;

/// <summary>One private Docker 20.10 engine and one Berth store, both holding the same busybox image as <c>busybox:latest</c>.</summary>
public sealed class DockerParityFixture : IDisposable
{
    public DockerDaemon Docker { get; }
    public TempStore Store { get; } = new();
    readonly TempDirectory _dir = new();

    public DockerParityFixture()
    {
        Runtime.TestContainer.RequireTools();
        Docker = new DockerDaemon();
        using (var tar = File.OpenRead(BusyboxRootfs.TarPath))
            Store.Engine.Images.ImportAsync(tar, new ImportOptions("busybox.tar", [], null, null, "busybox:latest")).GetAwaiter().GetResult();
        // Docker gets Berth's image through save/load, so both builds start from the very same image ID and config.
        string archive = _dir.Combine("busybox.tar");
        using (var file = File.Create(archive)) Store.Engine.Images.SaveAsync(["busybox:latest"], file).GetAwaiter().GetResult();
        Docker.Check("load", "-i", archive);
    }

    public void Dispose()
    {
        Docker.Dispose();
        Store.Dispose();
        _dir.Dispose();
    }
}

/// <summary>
/// Builds each Dockerfile in Build/Parity/ with Docker's legacy builder and with Berth, then compares the images:
/// config fields, history (created_by, empty_layer), the number of layers and, per layer, every entry's
/// path, type, mode, owner, size, link target and content hash. Timestamps are ignored.
/// </summary>
public class DockerParityTests(DockerParityFixture fixture) : IClassFixture<DockerParityFixture>
{
    static readonly string[] ConfigFields =
        ["Env", "Cmd", "Entrypoint", "WorkingDir", "User", "ExposedPorts", "Volumes", "Labels", "StopSignal", "Healthcheck", "Shell", "OnBuild"];

    /// <summary>
    /// Cases where Berth knowingly differs from Docker 20.10: case → patterns that every difference line must match; each
    /// pattern must still match a line (so the entry goes when the difference is fixed).
    /// </summary>
    static readonly Dictionary<string, string[]> KnownDifferences = new()
    {
        // docs/docker-behaviour.md: "WORKDIR after USER: the legacy builder creates the directory as root; BuildKit as the USER. Berth: BuildKit."
        ["workdir"] =
        [
            @"^layer\[3\] only docker: /owned-by-root dir mode=755 owner=0:0 size=0 ",
            @"^layer\[3\] only berth:  /owned-by-root dir mode=755 owner=1000:1000 size=0 ",
        ],
    };

    [Theory]
    [InlineData("config-only")]
    [InlineData("run-whiteouts")]
    [InlineData("copy-chown")]
    [InlineData("add-tar")]
    [InlineData("workdir")]
    [InlineData("multi-stage")]
    [InlineData("build-args")]
    [InlineData("onbuild-shell")]
    [InlineData("copy-hash")]
    [InlineData("copy-from")]
    [InlineData("add-url")]
    [InlineData("copy-hardlink")]
    [InlineData("copy-ignored")]
    public async Task Berth_builds_the_same_image_as_Dockers_legacy_builder(string name)
    {
        using var work = new TempDirectory();
        string context = PrepareContext(name, work.Combine("context"));
        var buildArgs = BuildArgs(context).ToList();
        // A case with served/ gets its files over HTTP on 127.0.0.1 (dockerd fetches ADD URLs itself, outside --network none).
        string served = RepositoryRoot.Combine("tests", "Berth.Tests", "Build", "Parity", name, "served");
        using var server = Directory.Exists(served) ? new StaticHttpServer(served) : null;
        if (server is not null) buildArgs.Add("BASE=" + server.BaseUrl);
        string tag = "parity-" + name + ":latest";

        var dockerArgs = new List<string> { "build", "--network", "none", "-q", "-t", tag };
        foreach (var a in buildArgs) dockerArgs.AddRange(["--build-arg", a]);
        fixture.Docker.Check(new Dictionary<string, string> { ["DOCKER_BUILDKIT"] = "0" }, [.. dockerArgs, context]);
        string dockerArchive = work.Combine("docker.tar");
        fixture.Docker.Check("save", "-o", dockerArchive, tag);

        var berthArgs = new List<string> { "build", "--network", "none", "-q", "-t", tag };
        foreach (var a in buildArgs) berthArgs.AddRange(["--build-arg", a]);
        var (code, _, stderr) = await fixture.Store.CliAsync([.. berthArgs, context]);
        Assert.True(code == 0, $"berth build failed: {stderr}");
        string berthArchive = work.Combine("berth.tar");
        await using (var file = File.Create(berthArchive)) await fixture.Store.Engine.Images.SaveAsync([tag], file);

        var docker = SavedImage.Read(dockerArchive);
        var berth = SavedImage.Read(berthArchive);
        string report = Compare(docker, berth);
        var lines = report.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var known = KnownDifferences.GetValueOrDefault(name, []);
        var unexplained = lines.Where(l => !known.Any(k => Regex.IsMatch(l, k))).ToList();
        Assert.True(unexplained.Count == 0, $"Berth differs from Docker for {name}:\n{string.Join('\n', unexplained)}");
        foreach (var k in known)
            Assert.True(lines.Any(l => Regex.IsMatch(l, k)), $"the known difference {k} no longer occurs for {name}: remove it from KnownDifferences");
        // A known per-entry difference must pair up: the same paths on both sides, so a missing or extra entry still fails.
        var paired = known.SelectMany(k => lines.Select(l => Regex.Match(l, k)).Where(m => m.Groups["path"].Success)
            .Select(m => (Side: m.Value.Contains(" only docker: ", StringComparison.Ordinal), Path: m.Groups["path"].Value))).ToList();
        Assert.Equal(paired.Where(p => p.Side).Select(p => p.Path).Order(), paired.Where(p => !p.Side).Select(p => p.Path).Order());
    }

    /// <summary>
    /// Copies the case folder to a fresh context with fixed modes; makes archive.tar from tree/ when the case has one, and the
    /// symlinks listed in symlinks.txt and the hard links in hardlinks.txt ("path target" lines; the lists are not left in the context).
    /// </summary>
    static string PrepareContext(string name, string context)
    {
        string source = RepositoryRoot.Combine("tests", "Berth.Tests", "Build", "Parity", name);
        Directory.CreateDirectory(context);
        foreach (var dir in Directory.EnumerateDirectories(source, "*", SearchOption.AllDirectories).Order())
        {
            string target = Path.Combine(context, Path.GetRelativePath(source, dir));
            Directory.CreateDirectory(target);
            File.SetUnixFileMode(target, (UnixFileMode)Convert.ToInt32("755", 8));
        }
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(context, Path.GetRelativePath(source, file));
            File.Copy(file, target);
            File.SetUnixFileMode(target, (UnixFileMode)Convert.ToInt32(file.EndsWith(".sh", StringComparison.Ordinal) ? "755" : "644", 8));
        }
        string links = Path.Combine(context, "symlinks.txt");
        if (File.Exists(links))
        {
            foreach (var line in File.ReadAllLines(links).Where(l => l.Length > 0))
            {
                var parts = line.Split(' ', 2);
                File.CreateSymbolicLink(Path.Combine(context, parts[0]), parts[1]);
            }
            File.Delete(links);
        }
        string hardLinks = Path.Combine(context, "hardlinks.txt");
        if (File.Exists(hardLinks))
        {
            foreach (var line in File.ReadAllLines(hardLinks).Where(l => l.Length > 0))
            {
                var parts = line.Split(' ', 2);
                ProcessRunner.Check("ln", Path.Combine(context, parts[1]), Path.Combine(context, parts[0]));
            }
            File.Delete(hardLinks);
        }
        string tree = Path.Combine(context, "tree");
        if (Directory.Exists(tree))
        {
            using var output = File.Create(Path.Combine(context, "archive.tar"));
            using var writer = new TarWriter(output, TarEntryFormat.Pax);
            foreach (var entry in Directory.EnumerateFileSystemEntries(tree, "*", SearchOption.AllDirectories).Order())
            {
                string entryName = Path.GetRelativePath(tree, entry);
                writer.WriteEntry(entry, Directory.Exists(entry) ? entryName + "/" : entryName);
            }
        }
        return context;
    }

    static string[] BuildArgs(string context)
    {
        string path = Path.Combine(context, "build-args.txt");
        return File.Exists(path) ? File.ReadAllLines(path).Where(l => l.Length > 0).ToArray() : [];
    }

    /// <summary>Every difference between the two images, one per line; empty when they match.</summary>
    static string Compare(SavedImage docker, SavedImage berth)
    {
        var report = new StringBuilder();
        var dockerConfig = docker.Config["config"] as JsonObject;
        var berthConfig = berth.Config["config"] as JsonObject;
        foreach (var field in ConfigFields)
        {
            var d = dockerConfig?[field];
            var b = berthConfig?[field];
            if (!JsonNode.DeepEquals(d, b))
                report.AppendLine($"config.{field}: docker={d?.ToJsonString() ?? "null"} berth={b?.ToJsonString() ?? "null"}");
        }

        var dockerHistory = History(docker.Config);
        var berthHistory = History(berth.Config);
        if (dockerHistory.Count != berthHistory.Count) report.AppendLine($"history: docker has {dockerHistory.Count} entries, berth {berthHistory.Count}");
        for (int i = 0; i < Math.Min(dockerHistory.Count, berthHistory.Count); i++)
            if (dockerHistory[i] != berthHistory[i])
                report.AppendLine($"history[{i}]: docker={dockerHistory[i]} berth={berthHistory[i]}");

        if (docker.Layers.Count != berth.Layers.Count) report.AppendLine($"layers: docker has {docker.Layers.Count}, berth {berth.Layers.Count}");
        for (int i = 0; i < Math.Min(docker.Layers.Count, berth.Layers.Count); i++)
        {
            foreach (var line in docker.Layers[i].Except(berth.Layers[i])) report.AppendLine($"layer[{i}] only docker: {line}");
            foreach (var line in berth.Layers[i].Except(docker.Layers[i])) report.AppendLine($"layer[{i}] only berth:  {line}");
        }
        return report.ToString();
    }

    static List<string> History(JsonNode config) =>
        (config["history"] as JsonArray ?? []).Select(h =>
            $"created_by={h?["created_by"]?.GetValue<string>() ?? ""} empty_layer={h?["empty_layer"]?.GetValue<bool>() ?? false}").ToList();

    /// <summary>An image read from a <c>docker save</c> style archive: its config and, per layer, one line per entry.</summary>
    sealed record SavedImage(JsonNode Config, List<List<string>> Layers)
    {
        public static SavedImage Read(string archive)
        {
            var files = new Dictionary<string, byte[]>();
            using (var stream = File.OpenRead(archive))
            using (var reader = new TarReader(stream))
                while (reader.GetNextEntry() is { } entry)
                    if (entry.DataStream is { } data)
                    {
                        using var copy = new MemoryStream();
                        data.CopyTo(copy);
                        files[entry.Name.TrimStart('.', '/')] = copy.ToArray();
                    }
            var manifest = JsonNode.Parse(files["manifest.json"])![0]!;
            var config = JsonNode.Parse(files[manifest["Config"]!.GetValue<string>()])!;
            var layers = manifest["Layers"]!.AsArray().Select(l => LayerLines(files[l!.GetValue<string>()])).ToList();
            return new SavedImage(config, layers);
        }

        static List<string> LayerLines(byte[] layer)
        {
            var lines = new List<string>();
            using var reader = new TarReader(new MemoryStream(layer));
            while (reader.GetNextEntry() is { } entry)
            {
                string path = "/" + entry.Name.TrimStart('.').Trim('/');
                string type = entry.EntryType switch
                {
                    TarEntryType.RegularFile or TarEntryType.V7RegularFile => "file",
                    TarEntryType.Directory => "dir",
                    TarEntryType.SymbolicLink => "symlink",
                    TarEntryType.HardLink => "hardlink",
                    var other => other.ToString(),
                };
                string hash = "";
                if (entry.DataStream is { } data) hash = Convert.ToHexStringLower(SHA256.HashData(data));
                var posix = entry as PosixTarEntry;
                // A link target means something only for links (Docker leaves a stale one on whiteouts that share an inode).
                string link = type is "symlink" or "hardlink" ? entry.LinkName : "";
                lines.Add($"{path} {type} mode={Convert.ToString((int)entry.Mode, 8)} owner={entry.Uid}:{entry.Gid} size={entry.Length} " +
                          $"link={link} dev={posix?.DeviceMajor}:{posix?.DeviceMinor} sha256={hash}");
            }
            return lines.Order(StringComparer.Ordinal).ToList();
        }
    }
}
