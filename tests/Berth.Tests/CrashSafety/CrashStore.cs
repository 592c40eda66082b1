using System.Diagnostics;
using System.Formats.Tar;
using Berth.Engine.Content;
using Berth.Engine.Processes;
using Berth.Engine.Services.Images;
using Berth.Engine.Services.Maintenance;
using Berth.Tests.Support;

namespace Berth.Tests.CrashSafety;

/// <summary>
/// A temp store with two "stable" images that every crash and race must leave complete, input tars for the verbs under
/// test, and helpers to run the real `berth` binary (as conmon would) and to check the store after a kill.
/// </summary>
sealed class CrashStore : IDisposable
{
    public TempStore Store { get; } = new();
    public string VictimTar { get; }
    public string Archive { get; }
    public IReadOnlyDictionary<string, Digest> StableTags { get; private set; } = new Dictionary<string, Digest>();

    CrashStore(string victimTar, string archive)
    {
        VictimTar = victimTar;
        Archive = archive;
    }

    public static async Task<CrashStore> CreateAsync()
    {
        var files = new TempDirectory();
        var victim = files.Combine("victim.tar");
        WriteRandomTar(victim, seed: 1, files: 150);
        var store = new CrashStore(victim, files.Combine("archive.tar"));
        store._filesOwned = files;
        var images = store.Store.Engine.Images;
        await using (var bb = File.OpenRead(BusyboxRootfs.TarPath))
            await images.ImportAsync(bb, new ImportOptions("busybox", ["ENV STABLE=1"], null, null, "stable:1"));
        await using (var bb = File.OpenRead(BusyboxRootfs.TarPath))
            await images.ImportAsync(bb, new ImportOptions("busybox", ["ENV STABLE=2"], null, null, "stable:2"));
        // The archive holds an image of its own layer, so each load unpacks and records it for real.
        var loadTar = files.Combine("load-layer.tar");
        WriteRandomTar(loadTar, seed: 2, files: 150);
        await using (var t = File.OpenRead(loadTar))
            await images.ImportAsync(t, new ImportOptions("load-layer", [], null, null, "loaded:1"));
        await using (var output = File.Create(store.Archive))
            await images.SaveAsync(["loaded:1"], output);
        images.Remove("loaded:1", force: true);
        store.StableTags = new Dictionary<string, Digest> { ["stable:1"] = images.Resolve("stable:1"), ["stable:2"] = images.Resolve("stable:2") };
        return store;
    }

    TempDirectory? _filesOwned;

    /// <summary>A tar of <paramref name="files"/> random 16 KiB files: a layer no other image shares.</summary>
    public static void WriteRandomTar(string path, int seed, int files)
    {
        var random = new Random(seed);
        using var stream = File.Create(path);
        using var writer = new TarWriter(stream, TarEntryFormat.Pax);
        writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "data/") { Mode = (UnixFileMode)0x1ED });
        for (int i = 0; i < files; i++)
        {
            var bytes = new byte[16 << 10];
            random.NextBytes(bytes);
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, $"data/f{i:D4}") { DataStream = new MemoryStream(bytes), Mode = (UnixFileMode)0x1A4 });
        }
    }

    public ProcessStartInfo Berth(params string[] args)
    {
        var berth = BerthExecutable.Current;
        var info = new ProcessStartInfo(berth.FileName) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in berth.Arguments(["--root", Store.Root, .. args])) info.ArgumentList.Add(a);
        return info;
    }

    /// <summary>Runs `berth ARGS` to completion: (exit code, stderr).</summary>
    public async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        using var process = Process.Start(Berth(args))!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Starts `berth ARGS` and SIGKILLs it after <paramref name="delay"/> (or lets it finish if it is faster); returns whether it was killed.</summary>
    public async Task<bool> RunAndKillAsync(TimeSpan delay, params string[] args)
    {
        using var process = Process.Start(Berth(args))!;
        process.StandardInput.Close();
        var drain = Task.WhenAll(process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
        var exited = process.WaitForExitAsync();
        bool killed = false;
        if (await Task.WhenAny(exited, Task.Delay(delay)) != exited)
        {
            try { process.Kill(); killed = true; } catch (InvalidOperationException) { } // exited meanwhile
        }
        await exited;
        await drain;
        return killed;
    }

    /// <summary>
    /// After a crash: no damage (only garbage --repair can remove), the stable images resolve to the same IDs and are
    /// complete; then repairs, so the next iteration starts clean. Returns the garbage found.
    /// </summary>
    public async Task<IReadOnlyList<CheckFinding>> AssertNoDamageAndRepairAsync(string context)
    {
        var checker = Store.Engine.Maintenance.Checker;
        var report = await checker.CheckAsync(repair: false, TimeSpan.Zero);
        Assert.True(report.Damage.Count == 0, $"{context}: {string.Join("\n", report.Damage)}");
        foreach (var (tag, id) in StableTags)
        {
            Assert.Equal(id, Store.Engine.Images.Resolve(tag));
            foreach (var layer in Store.Engine.Store.Metadata.ImageLayers(id))
                Assert.True(Store.Engine.Store.Snapshots.HasLayer(layer.ChainId) && Store.Engine.Store.Content.Exists(layer.DiffId), $"{context}: {tag} lost layer {layer.ChainId}");
        }
        var repaired = await checker.CheckAsync(repair: true, TimeSpan.Zero);
        Assert.True(repaired.Consistent, $"{context}: after repair: {string.Join("\n", repaired.Findings.Where(f => !f.Repaired))}");
        return report.Findings;
    }

    /// <summary>Asserts every layer of image <paramref name="id"/> has its snapshot and its tar blob, and its config blob exists.</summary>
    public void AssertComplete(Digest id, string context)
    {
        Assert.True(Store.Engine.Store.Content.Exists(id), $"{context}: image {id} has no config blob");
        foreach (var layer in Store.Engine.Store.Metadata.ImageLayers(id))
            Assert.True(Store.Engine.Store.Snapshots.HasLayer(layer.ChainId) && Store.Engine.Store.Content.Exists(layer.DiffId), $"{context}: image {id} lost layer {layer.ChainId}");
    }

    /// <summary>
    /// A build context under the store's temp files: FROM stable:1, a RUN that writes 1 MiB, and a COPY of 3 MiB of
    /// random files; returns its directory.
    /// </summary>
    public string WriteBuildContext(string name, int seed)
    {
        string dir = _filesOwned!.Combine(name);
        Directory.CreateDirectory(Path.Combine(dir, "payload"));
        var random = new Random(seed);
        for (int i = 0; i < 48; i++)
        {
            var bytes = new byte[64 << 10];
            random.NextBytes(bytes);
            File.WriteAllBytes(Path.Combine(dir, "payload", $"f{i:D2}"), bytes);
        }
        File.WriteAllText(Path.Combine(dir, "Dockerfile"),
            "FROM stable:1\nRUN mkdir -p /out && dd if=/dev/urandom of=/out/run.bin bs=64k count=16 2>/dev/null\nCOPY payload /payload\n");
        return dir;
    }

    public void Dispose()
    {
        Store.Dispose();
        _filesOwned?.Dispose();
    }
}
