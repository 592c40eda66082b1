using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Berth.Engine.Registry;

/// <summary>Runs a Docker credential helper (<c>docker-credential-NAME get|store|erase</c>, JSON or a server URL on stdin).</summary>
public sealed class CredentialHelper(string name, string? searchPath = null)
{
    const string NotFoundMessage = "credentials not found in native keychain";

    public string Name { get; } = name;

    public string ProgramName => "docker-credential-" + Name;

    /// <summary>The stored credential for <paramref name="serverUrl"/>, or null when the helper has none.</summary>
    public RegistryCredential? Get(string serverUrl)
    {
        var (code, stdout, stderr) = Run("get", serverUrl);
        if (code != 0)
        {
            if (IsNotFound(stdout, stderr)) return null;
            throw Failure("get", serverUrl, stdout, stderr);
        }
        try
        {
            using var doc = JsonDocument.Parse(stdout);
            string user = Str(doc.RootElement, "Username") ?? "";
            string secret = Str(doc.RootElement, "Secret") ?? "";
            if (user.Length == 0 && secret.Length == 0) return null;
            return user == RegistryCredential.IdentityTokenUser ? RegistryCredential.FromIdentityToken(secret) : new RegistryCredential(user, secret);
        }
        catch (JsonException e)
        {
            throw new RegistryException($"{ProgramName} get returned invalid JSON for {serverUrl}: {e.Message.Split('\n')[0]}", inner: e);
        }
    }

    public void Store(string serverUrl, RegistryCredential credential)
    {
        bool token = credential.HasIdentityToken;
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("ServerURL", serverUrl);
            writer.WriteString("Username", token ? RegistryCredential.IdentityTokenUser : credential.Username);
            writer.WriteString("Secret", token ? credential.IdentityToken : credential.Password);
            writer.WriteEndObject();
        }
        var (code, stdout, stderr) = Run("store", Encoding.UTF8.GetString(buffer.ToArray()));
        if (code != 0) throw Failure("store", serverUrl, stdout, stderr);
    }

    /// <summary>Removes the credential; a helper saying it had none is not an error.</summary>
    public void Erase(string serverUrl)
    {
        var (code, stdout, stderr) = Run("erase", serverUrl);
        if (code != 0 && !IsNotFound(stdout, stderr)) throw Failure("erase", serverUrl, stdout, stderr);
    }

    static bool IsNotFound(string stdout, string stderr)
        => stdout.Contains(NotFoundMessage, StringComparison.OrdinalIgnoreCase) || stderr.Contains(NotFoundMessage, StringComparison.OrdinalIgnoreCase);

    RegistryException Failure(string verb, string serverUrl, string stdout, string stderr)
    {
        string detail = (stderr.Trim().Length > 0 ? stderr : stdout).Trim().ReplaceLineEndings(" ");
        return new RegistryException($"credential helper {ProgramName} {verb} for {serverUrl} failed: {(detail.Length > 0 ? detail : "no output")}");
    }

    string FindProgram()
    {
        string path = searchPath ?? Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
        foreach (string dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, ProgramName);
            if (File.Exists(candidate)) return candidate;
        }
        throw new RegistryException($"credential helper {ProgramName} not found in PATH (named by credsStore/credHelpers in Docker's config.json)");
    }

    (int Code, string Stdout, string Stderr) Run(string verb, string input)
    {
        var start = new ProcessStartInfo(FindProgram())
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardInputEncoding = new UTF8Encoding(false),
        };
        start.ArgumentList.Add(verb);
        using var process = Process.Start(start) ?? throw new RegistryException($"could not start {ProgramName}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write(input);
        process.StandardInput.Close();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            throw new RegistryException($"credential helper {ProgramName} {verb} did not finish within 60s");
        }
        return (process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }

    static string? Str(JsonElement e, string name)
        => e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
}
