namespace Berth.Engine.Layers;

/// <summary>A layer tar is malformed or hostile (escaping paths, truncation, unsupported entries); the message names the offending entry.</summary>
public class LayerFormatException : InvalidInputException
{
    public LayerFormatException(string message) : base(message) { }
    public LayerFormatException(string message, Exception inner) : base(message, inner) { }
}
