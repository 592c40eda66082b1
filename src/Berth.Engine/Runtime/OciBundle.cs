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
        File.WriteAllText(temp, spec.ToJson());
        File.Move(temp, target, overwrite: true);
    }

    public static RuntimeSpec Read(string bundlePath)
    {
        string path = Path.Combine(bundlePath, ConfigFile);
        if (!File.Exists(path)) throw new RuntimeException($"no {ConfigFile} in bundle {bundlePath}");
        return RuntimeSpec.FromJson(File.ReadAllText(path));
    }
}
