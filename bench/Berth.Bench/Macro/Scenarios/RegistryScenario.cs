using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;

namespace Berth.Bench.Macro.Scenarios;

/// <summary>
/// Push or pull of a 500 MB, 5-layer image to a local docker-registry, against `skopeo copy` of the same image.
/// Each repetition uses a fresh registry (push) or a fresh store (pull), so no blob is ever already there.
/// </summary>
public sealed class RegistryScenario(bool pull) : IScenario
{
    public string Name => pull ? "pull 500 MB, 5 layers, local registry" : "push 500 MB, 5 layers, local registry";

    public ScenarioResult Run(BenchEnvironment env)
    {
        string verb = pull ? "pull" : "push";
        if (!env.HasVerb(verb)) return ScenarioResult.NotRun(Name, "skopeo copy", TargetKind.Ratio, 1.0, "ms", $"berth {verb} not built yet");
        long layerBytes = (long)(100 * 1024 * 1024 * env.Scale);
        // The work directory outlives a run: name the archive by its size so another --scale never reuses it.
        string archive = Path.Combine(env.WorkDirectory, $"five-layers-{layerBytes}.tar");
        string skopeoDir = Path.Combine(env.WorkDirectory, "skopeo-oci");
        try
        {
            if (!File.Exists(archive)) WriteFiveLayerArchive(archive, layerBytes);
            Measurement b, r;
            if (!pull)
            {
                (b, var rr) = env.Timer.Measure(
                    () => WithFreshRegistry(env, registry =>
                    {
                        string root = env.NewRoot("push");
                        try
                        {
                            env.BerthWithInput(root, archive, "load");
                            env.Berth(root, "tag", "bench/five:v1", $"{registry.Host}/bench/five:v1");
                            return env.Berth(root, "push", "-q", $"{registry.Host}/bench/five:v1").Milliseconds;
                        }
                        finally { BenchEnvironment.RemoveRoot(root); }
                    }),
                    () => WithFreshRegistry(env, registry => CommandRunner.Check("skopeo",
                        ["copy", "-q", "--dest-tls-verify=false", $"docker-archive:{archive}", $"docker://{registry.Host}/bench/five:v1"]).Milliseconds));
                r = rr!;
            }
            else
            {
                (b, var rr) = env.Timer.Measure(
                    () => WithFreshRegistry(env, registry =>
                    {
                        Seed(registry, archive);
                        string root = env.NewRoot("pull");
                        try { return env.Berth(root, "pull", "-q", $"{registry.Host}/bench/five:v1").Milliseconds; }
                        finally { BenchEnvironment.RemoveRoot(root); }
                    }),
                    () => WithFreshRegistry(env, registry =>
                    {
                        Seed(registry, archive);
                        if (Directory.Exists(skopeoDir)) Directory.Delete(skopeoDir, recursive: true);
                        return CommandRunner.Check("skopeo", ["copy", "-q", "--src-tls-verify=false", $"docker://{registry.Host}/bench/five:v1", $"oci:{skopeoDir}:v1"]).Milliseconds;
                    }));
                r = rr!;
            }
            return new ScenarioResult
            {
                Name = Name, Reference = "skopeo copy", Unit = "ms", BerthMedian = b.Median, ReferenceMedian = r.Median, TargetKind = TargetKind.Ratio,
                Target = 1.0, Repetitions = env.Repetitions,
                Note = pull ? "berth also unpacks the layers; skopeo only writes blobs" : null,
            };
        }
        catch (BenchmarkFailedException e)
        {
            return ScenarioResult.NotRun(Name, "skopeo copy", TargetKind.Ratio, 1.0, "ms", e.Message);
        }
        finally
        {
            if (Directory.Exists(skopeoDir)) Directory.Delete(skopeoDir, recursive: true);
        }
    }

    static double WithFreshRegistry(BenchEnvironment env, Func<LocalRegistry, double> timed)
    {
        using var registry = new LocalRegistry(Path.Combine(env.WorkDirectory, "registry"));
        return timed(registry);
    }

    static void Seed(LocalRegistry registry, string archive) =>
        CommandRunner.Check("skopeo", ["copy", "-q", "--dest-tls-verify=false", $"docker-archive:{archive}", $"docker://{registry.Host}/bench/five:v1"]);

    /// <summary>A docker-archive (Docker 1.x layout) of 5 layers of one random file each, tagged bench/five:v1.</summary>
    static void WriteFiveLayerArchive(string path, long layerBytes)
    {
        string work = path + ".d";
        Directory.CreateDirectory(work);
        try
        {
            var diffIds = new List<string>();
            var layerFiles = new List<string>();
            for (int i = 0; i < 5; i++)
            {
                string layer = Path.Combine(work, $"layer{i}.tar");
                using (var file = File.Create(layer))
                using (var writer = new TarWriter(file, TarEntryFormat.Pax, leaveOpen: true))
                {
                    string data = Path.Combine(work, "data");
                    using (var output = File.Create(data))
                    {
                        var buffer = new byte[1 << 20];
                        for (long written = 0; written < layerBytes; written += buffer.Length)
                        {
                            RandomNumberGenerator.Fill(buffer);
                            output.Write(buffer, 0, (int)Math.Min(buffer.Length, layerBytes - written));
                        }
                    }
                    writer.WriteEntry(data, $"layer{i}.bin");
                    File.Delete(data);
                }
                using (var file = File.OpenRead(layer)) diffIds.Add("sha256:" + Convert.ToHexStringLower(SHA256.HashData(file)));
                layerFiles.Add(layer);
            }
            string config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[" +
                            string.Join(',', diffIds.Select(d => $"\"{d}\"")) + "]}}";
            string configName = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(config))) + ".json";
            string manifest = $"[{{\"Config\":\"{configName}\",\"RepoTags\":[\"bench/five:v1\"],\"Layers\":[" +
                              string.Join(',', Enumerable.Range(0, 5).Select(i => $"\"layer{i}/layer.tar\"")) + "]}]";
            using var archiveFile = File.Create(path);
            using var archiveWriter = new TarWriter(archiveFile, TarEntryFormat.Pax);
            archiveWriter.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, configName) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(config)) });
            for (int i = 0; i < 5; i++) archiveWriter.WriteEntry(layerFiles[i], $"layer{i}/layer.tar");
            archiveWriter.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "manifest.json") { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(manifest)) });
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
