using System.Net;
using System.Text.Json;

namespace Berth.Engine.Registry;

/// <summary>A registry request failed: carries the HTTP status and the registry's own error code and message when it sent one.</summary>
public class RegistryException : BerthException
{
    public RegistryException(string message, HttpStatusCode? statusCode = null, string? errorCode = null, string? host = null, Exception? inner = null)
        : base(message, inner!)
    {
        StatusCode = statusCode;
        ErrorCode = errorCode;
        Host = host;
    }

    /// <summary>The HTTP status the registry answered with; null for connection, TLS and verification failures.</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>The first code of the registry's JSON <c>errors</c> array, e.g. <c>MANIFEST_UNKNOWN</c>, <c>DENIED</c>.</summary>
    public string? ErrorCode { get; }

    /// <summary>The registry host the failure is about.</summary>
    public string? Host { get; }
}

/// <summary>One entry of the distribution spec's error body: <c>{"errors":[{"code":…,"message":…}]}</c>.</summary>
public sealed record RegistryError(string Code, string Message)
{
    /// <summary>Reads the <c>errors</c> array of a registry error body; empty when the body is not one.</summary>
    public static IReadOnlyList<RegistryError> Parse(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty) return [];
        try
        {
            var reader = new Utf8JsonReader(body);
            using var doc = JsonDocument.ParseValue(ref reader);
            if (doc.RootElement.ValueKind != JsonValueKind.Object
                || !doc.RootElement.TryGetProperty("errors", out var errors)
                || errors.ValueKind != JsonValueKind.Array)
                return [];
            var list = new List<RegistryError>();
            foreach (var e in errors.EnumerateArray())
            {
                if (e.ValueKind != JsonValueKind.Object) continue;
                string code = e.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : "";
                string message = e.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "";
                list.Add(new RegistryError(code, message));
            }
            return list;
        }
        catch (JsonException)
        {
            return [];
        }
    }
}
