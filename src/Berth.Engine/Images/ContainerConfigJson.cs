using System.Text.Json;
using Berth.Engine.Json;
using static Berth.Engine.Json.JsonMembers;

namespace Berth.Engine.Images;

/// <summary>
/// <see cref="ContainerConfig"/> (and its <see cref="HealthConfig"/>) read from and written to JSON by hand, byte for byte
/// as <see cref="ImageJsonContext"/> does: Docker's field order and null rules, names matched case-insensitively.
/// </summary>
/// <remarks>
/// Why by hand: `run` reads an image's container config and writes and reads container settings in a process that lives
/// for tens of milliseconds, and the serializer's first use of a type builds its metadata (converters, property tables,
/// a reflection look-up of polymorphism attributes per type): ~3.5 ms of a `run --rm` on a 2-core machine, and 0.5 MB
/// of fresh heap. A test checks that both ways give the same JSON for a value with every property set.
/// </remarks>
public static class ContainerConfigJson
{
    public static void Write(Utf8JsonWriter writer, ContainerConfig config)
    {
        writer.WriteStartObject();
        writer.WriteString("Hostname", config.Hostname);
        writer.WriteString("Domainname", config.Domainname);
        writer.WriteString("User", config.User);
        writer.WriteBoolean("AttachStdin", config.AttachStdin);
        writer.WriteBoolean("AttachStdout", config.AttachStdout);
        writer.WriteBoolean("AttachStderr", config.AttachStderr);
        if (config.ExposedPorts is { } ports) WriteSet(writer, "ExposedPorts", ports);
        writer.WriteBoolean("Tty", config.Tty);
        writer.WriteBoolean("OpenStdin", config.OpenStdin);
        writer.WriteBoolean("StdinOnce", config.StdinOnce);
        Strings(writer, "Env", config.Env);
        Strings(writer, "Cmd", config.Cmd);
        if (config.Healthcheck is { } health) WriteHealth(writer, health);
        if (config.ArgsEscaped) writer.WriteBoolean("ArgsEscaped", true);
        writer.WriteString("Image", config.Image);
        WriteSet(writer, "Volumes", config.Volumes);
        writer.WriteString("WorkingDir", config.WorkingDir);
        Strings(writer, "Entrypoint", config.Entrypoint);
        if (config.NetworkDisabled) writer.WriteBoolean("NetworkDisabled", true);
        StringUnlessNull(writer, "MacAddress", config.MacAddress);
        Strings(writer, "OnBuild", config.OnBuild);
        Map(writer, "Labels", config.Labels);
        StringUnlessNull(writer, "StopSignal", config.StopSignal);
        NumberUnlessNull(writer, "StopTimeout", config.StopTimeout);
        StringsUnlessNull(writer, "Shell", config.Shell);
        writer.WriteEndObject();
    }

    /// <summary>Reads the object the reader is on (null for a JSON null), leaving the reader on its last token.</summary>
    public static ContainerConfig? Read(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null) return null;
        JsonValues.StartObject(ref reader);
        // Gathered first and the record made once: a `with` per property copied the whole record each time (ps -a reads
        // one per container).
        var defaults = ContainerConfig.Default;
        var hostname = defaults.Hostname;
        var domainname = defaults.Domainname;
        var user = defaults.User;
        var attachStdin = defaults.AttachStdin;
        var attachStdout = defaults.AttachStdout;
        var attachStderr = defaults.AttachStderr;
        var exposedPorts = defaults.ExposedPorts;
        var tty = defaults.Tty;
        var openStdin = defaults.OpenStdin;
        var stdinOnce = defaults.StdinOnce;
        var env = defaults.Env;
        var cmd = defaults.Cmd;
        var healthcheck = defaults.Healthcheck;
        var argsEscaped = defaults.ArgsEscaped;
        var image = defaults.Image;
        var volumes = defaults.Volumes;
        var workingDir = defaults.WorkingDir;
        var entrypoint = defaults.Entrypoint;
        var networkDisabled = defaults.NetworkDisabled;
        var macAddress = defaults.MacAddress;
        var onBuild = defaults.OnBuild;
        var labels = defaults.Labels;
        var stopSignal = defaults.StopSignal;
        var stopTimeout = defaults.StopTimeout;
        var shell = defaults.Shell;
        // Names are matched case-insensitively (as the serializer is told to, like Go's encoding/json): by their upper case.
        while (JsonValues.NextPropertyKey(ref reader) is { } name)
        {
            switch (name)
            {
                case "HOSTNAME": hostname = JsonValues.String(ref reader)!; break;
                case "DOMAINNAME": domainname = JsonValues.String(ref reader)!; break;
                case "USER": user = JsonValues.String(ref reader)!; break;
                case "ATTACHSTDIN": attachStdin = JsonValues.Boolean(ref reader); break;
                case "ATTACHSTDOUT": attachStdout = JsonValues.Boolean(ref reader); break;
                case "ATTACHSTDERR": attachStderr = JsonValues.Boolean(ref reader); break;
                case "EXPOSEDPORTS": exposedPorts = ReadSet(ref reader); break;
                case "TTY": tty = JsonValues.Boolean(ref reader); break;
                case "OPENSTDIN": openStdin = JsonValues.Boolean(ref reader); break;
                case "STDINONCE": stdinOnce = JsonValues.Boolean(ref reader); break;
                case "ENV": env = JsonValues.StringList(ref reader); break;
                case "CMD": cmd = JsonValues.StringList(ref reader); break;
                case "HEALTHCHECK": healthcheck = ReadHealth(ref reader); break;
                case "ARGSESCAPED": argsEscaped = JsonValues.Boolean(ref reader); break;
                case "IMAGE": image = JsonValues.String(ref reader)!; break;
                case "VOLUMES": volumes = ReadSet(ref reader); break;
                case "WORKINGDIR": workingDir = JsonValues.String(ref reader)!; break;
                case "ENTRYPOINT": entrypoint = JsonValues.StringList(ref reader); break;
                case "NETWORKDISABLED": networkDisabled = JsonValues.Boolean(ref reader); break;
                case "MACADDRESS": macAddress = JsonValues.String(ref reader); break;
                case "ONBUILD": onBuild = JsonValues.StringList(ref reader); break;
                case "LABELS": labels = JsonValues.StringMap(ref reader); break;
                case "STOPSIGNAL": stopSignal = JsonValues.String(ref reader); break;
                case "STOPTIMEOUT": stopTimeout = JsonValues.NullableInt32(ref reader); break;
                case "SHELL": shell = JsonValues.StringList(ref reader); break;
                default: reader.Skip(); break;
            }
        }
        return new ContainerConfig
        {
            Hostname = hostname,
            Domainname = domainname,
            User = user,
            AttachStdin = attachStdin,
            AttachStdout = attachStdout,
            AttachStderr = attachStderr,
            ExposedPorts = exposedPorts,
            Tty = tty,
            OpenStdin = openStdin,
            StdinOnce = stdinOnce,
            Env = env,
            Cmd = cmd,
            Healthcheck = healthcheck,
            ArgsEscaped = argsEscaped,
            Image = image,
            Volumes = volumes,
            WorkingDir = workingDir,
            Entrypoint = entrypoint,
            NetworkDisabled = networkDisabled,
            MacAddress = macAddress,
            OnBuild = onBuild,
            Labels = labels,
            StopSignal = stopSignal,
            StopTimeout = stopTimeout,
            Shell = shell,
        };
    }


    static void WriteHealth(Utf8JsonWriter writer, HealthConfig health)
    {
        writer.WriteStartObject("Healthcheck");
        StringsUnlessNull(writer, "Test", health.Test);
        if (health.Interval != 0) writer.WriteNumber("Interval", health.Interval);
        if (health.Timeout != 0) writer.WriteNumber("Timeout", health.Timeout);
        if (health.StartPeriod != 0) writer.WriteNumber("StartPeriod", health.StartPeriod);
        if (health.StartInterval != 0) writer.WriteNumber("StartInterval", health.StartInterval);
        if (health.Retries != 0) writer.WriteNumber("Retries", health.Retries);
        writer.WriteEndObject();
    }

    static HealthConfig? ReadHealth(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null) return null;
        JsonValues.StartObject(ref reader);
        var health = new HealthConfig();
        while (JsonValues.NextPropertyKey(ref reader) is { } name)
        {
            switch (name)
            {
                case "TEST": health = health with { Test = JsonValues.StringList(ref reader) }; break;
                case "INTERVAL": health = health with { Interval = JsonValues.Int64(ref reader) }; break;
                case "TIMEOUT": health = health with { Timeout = JsonValues.Int64(ref reader) }; break;
                case "STARTPERIOD": health = health with { StartPeriod = JsonValues.Int64(ref reader) }; break;
                case "STARTINTERVAL": health = health with { StartInterval = JsonValues.Int64(ref reader) }; break;
                case "RETRIES": health = health with { Retries = JsonValues.Int32(ref reader) }; break;
                default: reader.Skip(); break;
            }
        }
        return health;
    }

    /// <summary>Docker's sets (ExposedPorts, Volumes): an object whose values are all <c>{}</c>.</summary>
    static void WriteSet(Utf8JsonWriter writer, string name, SortedDictionary<string, EmptyObject>? set)
    {
        if (set is null)
        {
            writer.WriteNull(name);
            return;
        }
        writer.WriteStartObject(name);
        foreach (string key in set.Keys)
        {
            writer.WriteStartObject(key);
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
    }

    static SortedDictionary<string, EmptyObject>? ReadSet(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null) return null;
        JsonValues.StartObject(ref reader);
        var set = new SortedDictionary<string, EmptyObject>(StringComparer.Ordinal);
        while (JsonValues.NextProperty(ref reader) is { } key)
        {
            // The values carry nothing ({} in practice); whatever they hold is skipped, as the serializer would.
            if (reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.Null)) throw JsonValues.Unexpected(ref reader, "an object");
            reader.Skip();
            set[key] = EmptyObject.Value;
        }
        return set;
    }
}
