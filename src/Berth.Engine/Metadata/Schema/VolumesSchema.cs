namespace Berth.Engine.Metadata.Schema;

/// <summary>Tables of the volumes feature (none yet).</summary>
static class VolumesSchema
{
    public static readonly SchemaComponent Component = new("volumes", [], []);
}
