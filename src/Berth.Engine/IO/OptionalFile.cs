namespace Berth.Engine.IO;

/// <summary>A small file that may well not exist (a pid file, an exit file): its text, or null.</summary>
/// <remarks>
/// It is looked for before it is opened: a missing file would otherwise cost a thrown FileNotFoundException, and the
/// first exception of a process is dear (0.6 ms of `run --rm` here, perf, for the absent port-proxy pid file alone).
/// The catch stays for a file removed between the two.
/// </remarks>
public static class OptionalFile
{
    public static string? ReadAllText(string path)
    {
        if (!File.Exists(path)) return null;
        try { return File.ReadAllText(path); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { return null; }
    }
}
