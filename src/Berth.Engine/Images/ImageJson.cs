using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Berth.Engine.Images;

/// <summary>Reads and writes the image format records, turning malformed JSON into one-line errors.</summary>
public static class ImageJson
{
    public static T Deserialize<T>(ReadOnlySpan<byte> json, JsonTypeInfo<T> type, string what)
    {
        try
        {
            return JsonSerializer.Deserialize(json, type) ?? throw new InvalidInputException($"{what} is empty (null JSON)");
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"{what} is not valid JSON: {e.Message.Split('\n')[0]}", e);
        }
    }

    public static ImageConfig ReadConfig(ReadOnlySpan<byte> json, string what = "image config") => Deserialize(json, ImageJsonContext.Default.ImageConfig, what);

    /// <summary>
    /// Only the image config's <c>config</c> member (what a container is made from; null when absent), read without the
    /// serializer (<see cref="ContainerConfigJson"/>): `create` needs nothing else of the image config.
    /// </summary>
    public static ContainerConfig? ReadContainerConfig(ReadOnlySpan<byte> json, string what = "image config")
    {
        var reader = new Utf8JsonReader(json);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) throw new InvalidInputException($"{what} is not a JSON object");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                // Case-insensitive, as ImageJsonContext reads the whole config (Go's encoding/json does the same).
                bool isConfig = string.Equals(reader.GetString(), "config", StringComparison.OrdinalIgnoreCase);
                reader.Read();
                if (isConfig) return ContainerConfigJson.Read(ref reader);
                reader.Skip();
            }
            return null;
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"{what} is not valid JSON: {e.Message.Split('\n')[0]}", e);
        }
    }
    public static Manifest ReadManifest(ReadOnlySpan<byte> json, string what = "manifest") => Deserialize(json, ImageJsonContext.Default.Manifest, what);
    public static ImageIndex ReadIndex(ReadOnlySpan<byte> json, string what = "image index") => Deserialize(json, ImageJsonContext.Default.ImageIndex, what);

    public static byte[] Write<T>(T value, JsonTypeInfo<T> type) => JsonSerializer.SerializeToUtf8Bytes(value, type);

    /// <summary>Reads only the top-level mediaType (and whether `manifests` is present) to tell an index from a manifest.</summary>
    public static string? SniffMediaType(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        try
        {
            using var doc = JsonDocument.ParseValue(ref reader);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return null;
            if (doc.RootElement.TryGetProperty("mediaType", out var mt) && mt.ValueKind == JsonValueKind.String) return mt.GetString();
            if (doc.RootElement.TryGetProperty("manifests", out _)) return MediaTypes.OciIndex;
            if (doc.RootElement.TryGetProperty("config", out _)) return MediaTypes.OciManifest;
            return null;
        }
        catch (JsonException) { return null; }
    }

    /// <summary>Go's time.RFC3339Nano formatting (trailing zeros of the fraction dropped), as Docker writes `created`.</summary>
    public static string FormatTime(DateTimeOffset time)
    {
        var utc = time.UtcDateTime;
        string fraction = (utc.Ticks % TimeSpan.TicksPerSecond).ToString("0000000", System.Globalization.CultureInfo.InvariantCulture).TrimEnd('0');
        return utc.ToString("yyyy-MM-dd'T'HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture) + (fraction.Length > 0 ? "." + fraction : "") + "Z";
    }

    /// <summary>Parses an RFC 3339 time with up to nanosecond precision (.NET reads at most 7 fraction digits).</summary>
    public static DateTimeOffset? ParseTime(string? text)
    {
        if (string.IsNullOrEmpty(text)) return null;
        int dot = text.IndexOf('.');
        if (dot > 0)
        {
            int end = dot + 1;
            while (end < text.Length && char.IsAsciiDigit(text[end])) end++;
            if (end - dot - 1 > 7) text = text[..(dot + 8)] + text[end..];
        }
        return DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var t) ? t : null;
    }
}
