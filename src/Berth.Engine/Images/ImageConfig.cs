using System.Text.Json.Serialization;

namespace Berth.Engine.Images;

/// <summary>An image configuration blob (OCI image config with Docker's extra fields). Its sha256 is the image ID.</summary>
/// <remarks>Top-level properties are in alphabetical order because Docker marshals the config through a map.</remarks>
public sealed record ImageConfig
{
    [JsonPropertyName("architecture")] public string Architecture { get; init; } = "amd64";
    [JsonPropertyName("author")] public string? Author { get; init; }
    [JsonPropertyName("comment")] public string? Comment { get; init; }
    [JsonPropertyName("config")] public ContainerConfig? Config { get; init; }
    [JsonPropertyName("container")] public string? Container { get; init; }
    [JsonPropertyName("container_config")] public ContainerConfig? ContainerConfig { get; init; }
    [JsonPropertyName("created")] public string? Created { get; init; }
    [JsonPropertyName("docker_version")] public string? DockerVersion { get; init; }
    [JsonPropertyName("history")] public IReadOnlyList<HistoryEntry>? History { get; init; }
    [JsonPropertyName("os")] public string Os { get; init; } = "linux";
    [JsonPropertyName("os.version")] public string? OsVersion { get; init; }
    [JsonPropertyName("rootfs")] public RootFs RootFs { get; init; } = new();
    [JsonPropertyName("variant")] public string? Variant { get; init; }

    [JsonIgnore] public Platform Platform => new() { Os = Os, Architecture = Architecture, Variant = Variant, OsVersion = OsVersion };
}

/// <summary>The layer list of an image config: uncompressed layer digests, base first.</summary>
public sealed record RootFs
{
    [JsonPropertyName("type")] public string Type { get; init; } = "layers";
    [JsonPropertyName("diff_ids")] public IReadOnlyList<string> DiffIds { get; init; } = [];
}

/// <summary>One history entry; entries with <see cref="EmptyLayer"/> have no layer in rootfs.</summary>
public sealed record HistoryEntry
{
    [JsonPropertyName("created")] public string? Created { get; init; }
    [JsonPropertyName("author")] public string? Author { get; init; }
    [JsonPropertyName("created_by")] public string? CreatedBy { get; init; }
    [JsonPropertyName("comment")] public string? Comment { get; init; }
    [JsonPropertyName("empty_layer")] public bool? EmptyLayer { get; init; }

    [JsonIgnore] public bool IsEmptyLayer => EmptyLayer == true;
}

/// <summary>The run configuration of an image or container, in Docker's field order and null rules.</summary>
public sealed record ContainerConfig
{
    /// <summary>Every field at its default (what a missing JSON property reads as).</summary>
    public static ContainerConfig Default { get; } = new();

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public string Hostname { get; init; } = "";
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public string Domainname { get; init; } = "";
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public string User { get; init; } = "";
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public bool AttachStdin { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public bool AttachStdout { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public bool AttachStderr { get; init; }
    public SortedDictionary<string, EmptyObject>? ExposedPorts { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public bool Tty { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public bool OpenStdin { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public bool StdinOnce { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public IReadOnlyList<string>? Env { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public IReadOnlyList<string>? Cmd { get; init; }
    public HealthConfig? Healthcheck { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public bool ArgsEscaped { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public string Image { get; init; } = "";
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public SortedDictionary<string, EmptyObject>? Volumes { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public string WorkingDir { get; init; } = "";
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public IReadOnlyList<string>? Entrypoint { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public bool NetworkDisabled { get; init; }
    public string? MacAddress { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public IReadOnlyList<string>? OnBuild { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public SortedDictionary<string, string>? Labels { get; init; }
    public string? StopSignal { get; init; }
    public int? StopTimeout { get; init; }
    public IReadOnlyList<string>? Shell { get; init; }
}

/// <summary>HEALTHCHECK settings; durations in nanoseconds as Docker stores them.</summary>
public sealed record HealthConfig
{
    public IReadOnlyList<string>? Test { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public long Interval { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public long Timeout { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public long StartPeriod { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public long StartInterval { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public int Retries { get; init; }
}

/// <summary>The `{}` value of Docker's ExposedPorts and Volumes sets.</summary>
public sealed record EmptyObject
{
    public static readonly EmptyObject Value = new();
}
