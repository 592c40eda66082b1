namespace Berth.Engine.Metadata.Schema;

/// <summary>Tables of the containers feature (none yet).</summary>
static class ContainersSchema
{
    public static readonly SchemaComponent Component = new("containers", [], []);
}
