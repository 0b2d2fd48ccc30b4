namespace LangBridge.Training; internal static class Placeholder { }
