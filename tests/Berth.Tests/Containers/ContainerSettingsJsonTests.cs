using System.Text;
using System.Text.Json;
using Berth.Engine.Images;
using Berth.Engine.Services.Containers;
using static Berth.Tests.Support.RecordFiller;

namespace Berth.Tests.Containers;

/// <summary>
/// The hand-written JSON of container settings and container configs against the source-generated serializer they stand
/// in for: the same bytes, for values with every property set (filled by reflection, so a property added to a record and
/// not to the hand-written code fails here) and with every property at its default.
/// </summary>
public class ContainerSettingsJsonTests
{
    [Fact]
    public void Settings_with_every_property_set_are_written_as_the_serializer_writes_them()
    {
        var settings = Filled<ContainerSettings>();
        Assert.Equal(JsonSerializer.Serialize(settings, ContainerJsonContext.Default.ContainerSettings), ContainerSettingsJson.Write(settings));
    }

    [Fact]
    public void Default_settings_and_null_members_are_written_as_the_serializer_writes_them()
    {
        var settings = new ContainerSettings();
        Assert.Equal(JsonSerializer.Serialize(settings, ContainerJsonContext.Default.ContainerSettings), ContainerSettingsJson.Write(settings));
        var nulls = new ContainerSettings
        {
            Config = new ContainerConfig { Env = null, Cmd = null, Volumes = null, Labels = null, Healthcheck = new HealthConfig() },
            HostConfig = new HostSettings { PidsLimit = null },
            Mounts = [new ContainerMount("bind", "/a", "/b", false)],
        };
        Assert.Equal(JsonSerializer.Serialize(nulls, ContainerJsonContext.Default.ContainerSettings), ContainerSettingsJson.Write(nulls));
    }

    [Fact]
    public void What_the_serializer_wrote_reads_back_to_the_same_settings()
    {
        string json = JsonSerializer.Serialize(Filled<ContainerSettings>(), ContainerJsonContext.Default.ContainerSettings);
        var read = ContainerSettingsJson.Read(json);
        Assert.Equal(json, JsonSerializer.Serialize(read, ContainerJsonContext.Default.ContainerSettings));
    }

    [Fact]
    public void Names_match_without_regard_to_case_and_unknown_members_are_skipped()
    {
        string json = JsonSerializer.Serialize(Filled<ContainerSettings>(), ContainerJsonContext.Default.ContainerSettings);
        using var document = JsonDocument.Parse(json);
        string changed = Rewrite(document.RootElement);
        var read = ContainerSettingsJson.Read(changed);
        Assert.Equal(json, ContainerSettingsJson.Write(read));
    }

    [Fact]
    public void Escaped_and_long_member_names_are_matched_as_the_serializer_matches_them()
    {
        // An escaped name is unescaped first; a name longer than the reader's stack buffer takes the allocating path.
        string longName = new('x', 200);
        string json = $$"""{"\u0050ATH":"sh","{{longName}}":{"Path":"no"},"imagename":"bb","{{longName}}Y":1}""";
        var read = ContainerSettingsJson.Read(json);
        var expected = JsonSerializer.Deserialize(json, ContainerJsonContext.Default.ContainerSettings)!;
        Assert.Equal(("sh", "bb"), (expected.Path, expected.ImageName));
        Assert.Equal(("sh", "bb"), (read.Path, read.ImageName));
        Assert.Equal(ContainerSettingsJson.Write(ContainerSettingsJson.Read("""{"Path":"sh","ImageName":"bb"}""")), ContainerSettingsJson.Write(read));
    }

    [Fact]
    public void A_container_config_is_written_as_image_configs_are()
    {
        var config = Filled<ContainerConfig>();
        Assert.Equal(Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(config, ImageJsonContext.Default.ContainerConfig)), Write(config));
        var empty = new ContainerConfig();
        Assert.Equal(Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(empty, ImageJsonContext.Default.ContainerConfig)), Write(empty));
    }

    [Theory]
    [InlineData("""{"Config":{"Tty":"yes"}}""")]
    [InlineData("""{"Config":{"Env":"A=1"}}""")]
    [InlineData("""{"Config":{"StopTimeout":1.5}}""")]
    [InlineData("""{"HostConfig":{"Memory":"1g"}}""")]
    [InlineData("""{"Mounts":{}}""")]
    [InlineData("""{"Config":{"Cmd":["a"]""")]
    public void Values_of_the_wrong_kind_are_json_errors(string json)
    {
        Assert.ThrowsAny<JsonException>(() => ContainerSettingsJson.Read(json));
    }

    static string Write(ContainerConfig config)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream)) ContainerConfigJson.Write(writer, config);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>The same JSON with every name's case swapped and an unknown member of each kind added to every object.</summary>
    static string Rewrite(JsonElement element)
    {
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer)) Copy(element, writer);
        return Encoding.UTF8.GetString(buffer.ToArray());

        static void Copy(JsonElement e, Utf8JsonWriter w)
        {
            switch (e.ValueKind)
            {
                case JsonValueKind.Object:
                    // The fillers' map keys (labels, tmpfs) start lower-case: those objects are data, left as they are.
                    bool record = e.EnumerateObject().All(p => char.IsUpper(p.Name[0]));
                    w.WriteStartObject();
                    if (record)
                    {
                        w.WritePropertyName("unknownObject");
                        w.WriteRawValue("""{"a":[1,{"b":null}],"c":{}}""");
                    }
                    foreach (var p in e.EnumerateObject())
                    {
                        w.WritePropertyName(record ? SwapCase(p.Name) : p.Name);
                        Copy(p.Value, w);
                    }
                    if (record) w.WriteString("unknownString", "x");
                    w.WriteEndObject();
                    break;
                case JsonValueKind.Array:
                    w.WriteStartArray();
                    foreach (var item in e.EnumerateArray()) Copy(item, w);
                    w.WriteEndArray();
                    break;
                default:
                    e.WriteTo(w);
                    break;
            }
        }

        static string SwapCase(string name) => new(name.Select(c => char.IsUpper(c) ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c)).ToArray());
    }
}
