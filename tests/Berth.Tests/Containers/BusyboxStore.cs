using Berth.Tests.Runtime;
using Berth.Tests.Support;

namespace Berth.Tests.Containers;

/// <summary>A temp store with the busybox image imported as "bb"; removes every container it ran when disposed.</summary>
public sealed class BusyboxStore : IAsyncLifetime
{
    public TempStore Store { get; } = new();

    public async Task InitializeAsync()
    {
        TestContainer.RequireTools();
        var (code, _, stderr) = await Store.CliAsync("import", BusyboxRootfs.TarPath, "bb");
        Assert.True(code == 0, stderr);
    }

    public Task<(int ExitCode, string Stdout, string Stderr)> CliAsync(params string[] args) => Store.CliAsync(args);

    /// <summary>Runs the CLI and fails with its stderr unless it exits 0; returns stdout.</summary>
    public async Task<string> OkAsync(params string[] args)
    {
        var (code, stdout, stderr) = await Store.CliAsync(args);
        Assert.True(code == 0, $"berth {string.Join(' ', args)} exited {code}: {stderr}");
        return stdout;
    }

    public async Task DisposeAsync()
    {
        foreach (var c in Store.Engine.Containers.List())
        {
            try { await Store.Engine.Containers.RemoveAsync(c.Id, force: true, volumes: true); }
            catch (Berth.Engine.BerthException) { }
        }
        Store.Dispose();
    }
}
