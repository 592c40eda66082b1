namespace Berth.Engine.Runtime;

/// <summary>Reads and writes a bundle's config.json (written to a temporary name, then renamed, so a reader never sees half a file).</summary>
public static class OciBundle
{
    public const string ConfigFile = "config.json";

    public static void Write(string bundlePath, RuntimeSpec spec)
    {
        Directory.CreateDirectory(bundlePath);
        string target = Path.Combine(bundlePath, ConfigFile);
        string temp = target + ".tmp-" + Environment.ProcessId;
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0))
            file.Write(RuntimeSpecJson.WriteUtf8(spec).Span);
        File.Move(temp, target, overwrite: true);
    }

    public static RuntimeSpec Read(string bundlePath)
    {
        string path = Path.Combine(bundlePath, ConfigFile);
        if (!File.Exists(path)) throw new RuntimeException($"no {ConfigFile} in bundle {bundlePath}");
        return RuntimeSpec.FromJson(File.ReadAllText(path));
    }
}
