namespace LangBridge.Data; internal static class Placeholder { }
