using System.Security.Cryptography;

namespace Berth.Bench.Macro;

/// <summary>Incompressible test files, so neither side wins by compression.</summary>
public static class TestData
{
    /// <summary>Writes <paramref name="files"/> random files spread over 100-file sub-directories.</summary>
    public static void WriteTree(string dir, int files, int bytesPerFile)
    {
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        var buffer = new byte[bytesPerFile];
        for (int i = 0; i < files; i++)
        {
            string sub = Path.Combine(dir, $"d{i / 100:D4}");
            Directory.CreateDirectory(sub);
            RandomNumberGenerator.Fill(buffer);
            File.WriteAllBytes(Path.Combine(sub, $"f{i:D6}.bin"), buffer);
        }
    }
}
